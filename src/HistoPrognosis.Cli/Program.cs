using System.CommandLine;
using HistoPrognosis.Cli;
using HistoPrognosis.Cli.Commands;

var root = new RootCommand("histoprog: computational pathology for five-year breast-cancer prognosis (.NET, TorchSharp)");
root.Subcommands.Add(BackboneCommand.Create());
root.Subcommands.Add(StainCommand.Create());

return await CliRunner.InvokeAsync(root, args);
