using System.CommandLine;
using System.Globalization;
using HistoPrognosis.Reports;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog evaluate</c>: survival metrics of predicted risks on a cohort with follow-up.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var cohort = new Option<string>("--cohort") { Description = "cohort CSV: patient_id, time_months, event[, eta, tumour_burden, age]", Required = true };
        var risks = new Option<string>("--risks") { Description = "risks CSV: patient_id, risk[, p_event_5y]", Required = true };
        var output = new Option<string>("--out") { Description = "output folder: results.json, summary.md, km.svg", Required = true };
        var bootstrap = new Option<int>("--bootstrap") { Description = "bootstrap resamples for the intervals (0 = none)", DefaultValueFactory = _ => 1000 };
        var horizon = new Option<double>("--horizon") { Description = "months", DefaultValueFactory = _ => 60 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var command = new Command("evaluate", "C-index (Harrell, Uno), td-AUC, Brier, KM by risk group with log-rank, bootstrap CIs, references") { cohort, risks, output, bootstrap, horizon, seed };
        command.SetAction(parse =>
        {
            if (parse.GetValue(bootstrap) < 0) throw new UserInputException($"--bootstrap must be ≥ 0, got {parse.GetValue(bootstrap)}");
            var r = PrognosisEvaluation.Run(parse.GetValue(cohort)!, parse.GetValue(risks)!, parse.GetValue(output)!, parse.GetValue(bootstrap), parse.GetValue(seed), parse.GetValue(horizon));
            var text = string.Format(CultureInfo.InvariantCulture, "Harrell C {0:F3}, Uno C {1:F3}, AUC({2}) {3:F3}, log-rank p {4:G3}", r.HarrellC.Value, r.UnoC.Value, r.HorizonMonths, r.TimeDependentAuc.Value, r.LogRankP);
            if (r.FractionOfOracle is double f) text += string.Format(CultureInfo.InvariantCulture, "; oracle {0:F3} ({1:P0} of it)", r.ReferenceC["oracle"], f);
            parse.InvocationConfiguration.Output.WriteLine(text);
            return 0;
        });
        return command;
    }
}
