using System.CommandLine;
using HistoPrognosis.Data;
using HistoPrognosis.Simulation;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog simulate</c>: semi-synthetic five-year follow-up for the patients of a labelled patch table.</summary>
public static class SimulateCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "cohort CSV: patient_id, time_months, event, age, tumour_burden, eta", Required = true };
        var command = new Command("simulate", "simulate five-year follow-up driven by each patient's real tumour burden (docs/semi-synthetic-cohort.md)") { output };
        var options = new RunConfigOptions(ConfigFlags.Patches | ConfigFlags.Compute);
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Bind(parse);
            if (config.Input.Patches is null) throw new UserInputException("simulate needs a labelled patch table: --patches TABLE (or input.patches in --config)");
            var subjects = SemiSyntheticCohort.Simulate(PatchTable.Load(config.Input.Patches, requireLabel: true), config.Seed);
            SemiSyntheticCohort.WriteCsv(subjects, parse.GetValue(output)!);
            parse.InvocationConfiguration.Output.WriteLine($"{subjects.Count} patients, {subjects.Count(s => s.Event)} events, {subjects.Count(s => s.FiveYearStatus == 1)} by 5 years → {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
