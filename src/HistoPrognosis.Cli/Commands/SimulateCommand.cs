using System.CommandLine;
using HistoPrognosis.Data;
using HistoPrognosis.Simulation;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog simulate</c>: semi-synthetic five-year follow-up for the patients of a labelled patch table.</summary>
public static class SimulateCommand
{
    public static Command Create()
    {
        var patches = new Option<string>("--patches") { Description = "patch table: path, patient_id, label (label = 1 for IDC patches)", Required = true };
        var seed = new Option<int>("--seed") { Description = "seed of the one generator (patients in stable order)", DefaultValueFactory = _ => 7 };
        var output = new Option<string>("--out") { Description = "cohort CSV: patient_id, time_months, event, age, tumour_burden, eta", Required = true };
        var command = new Command("simulate", "simulate five-year follow-up driven by each patient's real tumour burden (docs/semi-synthetic-cohort.md)") { patches, seed, output };
        command.SetAction(parse =>
        {
            var subjects = SemiSyntheticCohort.Simulate(PatchTable.Load(parse.GetValue(patches)!, requireLabel: true), parse.GetValue(seed));
            SemiSyntheticCohort.WriteCsv(subjects, parse.GetValue(output)!);
            parse.InvocationConfiguration.Output.WriteLine($"{subjects.Count} patients, {subjects.Count(s => s.Event)} events, {subjects.Count(s => s.FiveYearStatus == 1)} by 5 years → {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
