using System.CommandLine;
using System.Globalization;
using HistoPrognosis.IO;
using HistoPrognosis.Reports;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog evaluate</c>: survival metrics of predicted risks on a cohort with follow-up.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var options = new RunConfigOptions(ConfigFlags.Cohort | ConfigFlags.Evaluation | ConfigFlags.Compute);
        var risks = new Option<string>("--risks") { Description = "risks CSV: patient_id, risk[, p_event_5y]", Required = true };
        var output = new Option<string>("--out") { Description = "output folder: results.json, summary.md, km.svg, run-config.yaml", Required = true };
        var horizon = new Option<double?>("--horizon") { Description = "months (default: model.horizon_months of the config)" };
        var command = new Command("evaluate", "C-index (Harrell, Uno), td-AUC, Brier, KM by risk group with log-rank, bootstrap CIs, references") { risks, output, horizon };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Bind(parse);
            if (parse.GetValue(horizon) is double h) config = config with { Model = config.Model with { HorizonMonths = h } };
            config.Validate();
            var cohort = RunInputs.Cohort(config, requireOutcome: true);
            using var folder = new OutputFolder(parse.GetValue(output)!);
            var r = PrognosisEvaluation.Run(cohort, parse.GetValue(risks)!, folder.Path, config.Evaluation, config.Seed, config.Model.HorizonMonths);
            config.Write(folder.Path);
            folder.Commit();
            var text = string.Format(CultureInfo.InvariantCulture, "Harrell C {0}, Uno C {1}, AUC({2}) {3}, log-rank p {4}", r.HarrellC.Format(), Estimate.Format(r.UnoC), r.HorizonMonths,
                Estimate.Format(r.TimeDependentAuc), r.LogRankP is double p ? p.ToString("G3", CultureInfo.InvariantCulture) : "undefined");
            if (r.FractionOfOracle is double f) text += string.Format(CultureInfo.InvariantCulture, "; oracle {0:F3} ({1:P0} of it)", r.ReferenceC["oracle"], f);
            parse.InvocationConfiguration.Output.WriteLine(text);
            foreach (var w in r.Warnings) parse.InvocationConfiguration.Output.WriteLine($"warning: {w}");
            return 0;
        });
        return command;
    }
}
