using HistoPrognosis.Cli;

return await CliRunner.InvokeAsync(CliApp.BuildRoot(), args);
