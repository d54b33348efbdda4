using System.Globalization;
using System.Text;
using System.Text.Json;
using HistoPrognosis.Studies;

namespace HistoPrognosis.Reports;

/// <summary>Writes the demo's results.json (machine-readable) and summary.md (for people).</summary>
public static class DemoReport
{
    public static void Write(DemoResults results, OutputFolder output)
    {
        File.WriteAllText(output.File("results.json"), JsonSerializer.Serialize(results, DemoConfig.Json));
        File.WriteAllText(output.File("summary.md"), Summary(results));
        HistoPrognosis.Simulation.SemiSyntheticCohort.WriteCsv(results.Subjects, output.File("cohort.csv"));
        var byId = results.Subjects.ToDictionary(s => s.PatientId);
        var time = results.Split.Test.Select(id => byId[id].TimeMonths).ToArray();
        var @event = results.Split.Test.Select(id => byId[id].Event).ToArray();
        foreach (var arm in results.Backbones)
        {
            var plot = KaplanMeierPlot.ByMedianRisk($"Test patients by {arm.Backbone} MIL risk", time, @event, arm.TestRisk, "months");
            File.WriteAllText(output.File($"km-{arm.Backbone}.svg"), plot.Svg);
            var losses = new ChartSeries("training loss (per step)", arm.FinetuneLoss.Select((l, i) => ((double)(i + 1), l, double.NaN, double.NaN)).ToList());
            File.WriteAllText(output.File($"finetune-loss-{arm.Backbone}.svg"),
                LineChartSvg.Render($"Patch classifier training loss ({arm.Backbone})", "optimizer step", "class-balanced logistic loss", [losses]));
        }
    }

    public static string Summary(DemoResults r)
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine("# HistoPrognosis demo: transfer learning vs training from scratch");
        s.AppendLine();
        s.AppendLine(inv, $"Real IDC breast H&E patches ({r.Config.Labels}), {r.Cohort.Patients} patients; follow-up simulated from each patient's real tumour burden (semi-synthetic cohort v1, seed {r.Seed}).");
        s.AppendLine(inv, $"Patient-level split: {r.Split.Train.Length} train / {r.Split.Validation.Length} validation / {r.Split.Test.Length} test patients ({r.Split.TrainPatches} / {r.Split.ValidationPatches} / {r.Split.TestPatches} patches). Device: {r.Device}. Total time {r.TotalSeconds:F0} s.");
        s.AppendLine();
        s.AppendLine("| backbone | training | patch ROC AUC (test) | patient C-index (test, 95% CI) | Uno C (τ = 60 mo) | 5-year AUC | C / oracle | log-rank p (median split) | train time |");
        s.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var a in r.Backbones)
            s.AppendLine(inv, $"| {a.Backbone} | {a.Training} | {a.PatchAucTest:F3} | {a.CIndex:F3} ({a.CIndexCi95[0]:F3}–{a.CIndexCi95[1]:F3}) | {a.UnoC:F3} | {a.Auc5y:F3} | {a.CIndexFractionOfOracle:P0} | {a.LogRankPMedianSplit:G3} | {a.TrainingSeconds:F0} s |");
        s.AppendLine();
        var d = r.CIndexTransferMinusScratch;
        s.AppendLine(inv, $"C-index difference, transfer − scratch, on the same test patients: {d.Estimate:+0.000;-0.000} (paired bootstrap 95% CI {d.Lower:+0.000;-0.000} to {d.Upper:+0.000;-0.000}).");
        s.AppendLine();
        s.AppendLine("References on the same test patients (Harrell's C-index):");
        s.AppendLine();
        s.AppendLine(inv, $"- oracle (true linear predictor η): {r.References.OracleCIndex:F3}");
        s.AppendLine(inv, $"- tumour burden only (true IDC fraction): {r.References.BurdenCIndex:F3}");
        s.AppendLine(inv, $"- age only (clinical): {r.References.AgeCIndex:F3}");
        s.AppendLine();
        s.AppendLine(inv, $"Cohort: {r.Cohort.Events} events, {r.Cohort.FiveYearEvents} within five years, {r.Cohort.FiveYearCensoredBefore} censored before five years; median follow-up {r.Cohort.MedianFollowUpMonths:F1} months.");
        s.AppendLine();
        s.AppendLine("Figures: `km-transfer.svg`, `km-scratch.svg` (Kaplan–Meier of test patients split at the median predicted risk), `finetune-loss-*.svg`; `cohort.csv` holds the simulated follow-up.");
        s.AppendLine();
        s.AppendLine("How to read this: patch AUC measures how well each backbone recognises carcinoma; the patient C-index measures how well");
        s.AppendLine("gated-attention MIL on that backbone's features ranks survival. With few test patients the intervals are wide: compare");
        s.AppendLine("arms on the intervals, not the point estimates. The oracle is the best any model could reach on these patients.");
        return s.ToString();
    }
}
