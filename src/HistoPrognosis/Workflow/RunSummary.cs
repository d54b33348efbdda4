using System.Globalization;
using System.Text;
using HistoPrognosis.Configuration;
using HistoPrognosis.Reports;

namespace HistoPrognosis.Workflow;

/// <summary>The run's <c>summary.md</c>: what was run, and the metrics with their 95% intervals.</summary>
public static class RunSummary
{
    public static string Markdown(RunResult r, RunConfig config)
    {
        var inv = CultureInfo.InvariantCulture;
        static string M(Survival.Estimate? m) => Survival.Estimate.Format(m);
        static string Signed(Survival.Estimate? d) => d is null ? "undefined" : d.Lower is double lower && d.Upper is double upper
            ? string.Format(CultureInfo.InvariantCulture, "{0:+0.000;-0.000} (95% CI {1:+0.000;-0.000} to {2:+0.000;-0.000})", d.Value, lower, upper)
            : d.Value.ToString("+0.000;-0.000", CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        text.AppendLine(inv, $"# {r.Title}").AppendLine();
        text.AppendLine(inv, $"{r.Patients} patients, {r.Events} events; protocol {ConfigNames.Value(r.Protocol)}; seed {r.Seed}; " +
            $"model {ConfigNames.Value(config.Model.Aggregator)} aggregator, {ConfigNames.Value(config.Model.Loss)} loss, {config.Model.Mil.Epochs} epochs; " +
            $"features at {config.Features.ImageSize} px. The resolved settings are in `{RunConfig.FileName}`.").AppendLine();
        if (r.Crossval is { } cv)
        {
            text.AppendLine(inv, $"{cv.Folds}-fold patient-level cross-validation, pooled out-of-fold C-index with {cv.BootstrapSamples} bootstrap resamples:").AppendLine();
            text.AppendLine("| arm | Harrell C (fold mean ± sd) | pooled Harrell C (95% CI) | pooled Uno C (95% CI) |").AppendLine("|---|---|---|---|");
            foreach (var a in cv.Arms)
                text.AppendLine(inv, $"| {a.Name} | {a.HarrellMean:F3}{(a.HarrellSd is double sd ? string.Format(inv, " ± {0:F3}", sd) : "")} | {M(a.PooledHarrell)} | {M(a.PooledUno)} |");
            if (cv.Warnings.Count > 0) text.AppendLine();
            foreach (var w in cv.Warnings) text.Append("- warning: ").AppendLine(w);
            foreach (var d in cv.BackboneComparisons ?? []) text.AppendLine().AppendLine(inv, $"- {d.Model}: {cv.Backbone} − {cv.ComparisonBackbone} pooled C {Signed(d.Difference)}");
            if (cv.ReferenceC.Count > 0) text.AppendLine().AppendLine("References (Harrell C, all patients): " + string.Join(", ", cv.ReferenceC.Select(kv => string.Format(inv, "{0} {1:F3}", kv.Key, kv.Value))));
            text.AppendLine().AppendLine("Details: `crossval/table.md`, out-of-fold risks `crossval/oof-risks.csv`.");
            AppendStudy(text, r.PrognosisTransfer);
            return text.ToString();
        }
        text.AppendLine(inv, $"Held-out test patients: {r.TestPatients} (trained on {r.TrainPatients}); split in `split/split.csv`.").AppendLine();
        text.AppendLine(inv, $"| arm | backbone | Harrell C (95% CI) | Uno C | AUC at {config.Model.HorizonMonths:G} months | Brier | log-rank p |").AppendLine("|---|---|---|---|---|---|---|");
        var warnings = new List<string>();
        foreach (var a in r.Arms)
        {
            var e = a.Evaluation;
            var backbone = a.FinetunedFrom is null ? a.Backbone
                : Models.BackboneFactory.IsPretrained(a.FinetunedFrom) ? $"{a.FinetunedFrom}, fine-tuned ({ConfigNames.Value(config.Finetune.Policy)})"
                : $"{a.FinetunedFrom}: trained from random weights, same step budget";
            text.AppendLine(inv, $"| {a.Name} | {backbone} | {M(e.HarrellC)} | {M(e.UnoC)} | {M(e.TimeDependentAuc)} | {(e.HasEventProbabilities ? M(e.Brier) : "—")} | {(e.LogRankP is double p ? p.ToString("G3", inv) : "undefined")} |");
            foreach (var w in e.Warnings) warnings.Add($"{a.Name}: {w}");
        }
        if (warnings.Count > 0) text.AppendLine();
        foreach (var w in warnings) text.Append("- warning: ").AppendLine(w);
        if (r.Comparison is { } c)
            text.AppendLine().AppendLine(inv, $"Paired difference of Harrell C on the same test patients ({c.Model}): {Signed(c.Difference)}.");
        if (r.Arms.FirstOrDefault()?.Evaluation.ReferenceC is { Count: > 0 } references)
            text.AppendLine().AppendLine("References on the test patients (Harrell C): " + string.Join(", ", references.Select(kv => string.Format(inv, "{0} {1:F3}", kv.Key, kv.Value))) + ".");
        text.AppendLine().AppendLine("Per arm: `<arm>/model`, `<arm>/predict/risks.csv`, `<arm>/evaluation/summary.md` (Kaplan–Meier by risk group, `km.svg`).");
        AppendStudy(text, r.PrognosisTransfer);
        return text.ToString();
    }

    /// <summary>The prognosis-transfer study: test Harrell C per arm and training size, and the paired difference to scratch.</summary>
    private static void AppendStudy(StringBuilder text, PrognosisTransferSummary? study)
    {
        if (study is null) return;
        var inv = CultureInfo.InvariantCulture;
        var sizes = study.Cells.Select(c => c.TrainPatients).Distinct().Order().ToList();
        text.AppendLine().AppendLine("## Transfer vs scratch on the prognosis itself").AppendLine();
        text.AppendLine(inv, $"`prognosis-transfer/`: its own split, {study.TestPatients} test patients; training draws of {string.Join(" and ", sizes)} of the other {study.TrainingPool}. " +
            $"Test Harrell C (95% interval); below it, each arm's paired difference to scratch end to end on the same patients.").AppendLine();
        text.AppendLine("| arm | " + string.Join(" | ", sizes.Select(n => $"{n} patients")) + " |").AppendLine("|---|" + string.Concat(sizes.Select(_ => "---|")));
        string Cell(PrognosisTransferCell? c, string format) => c?.Format(format) ?? "—";
        foreach (var arm in study.Cells.Select(c => c.Arm).Distinct())
        {
            text.AppendLine($"| {arm} | " + string.Join(" | ", sizes.Select(n => Cell(study.Cells.FirstOrDefault(c => c.Arm == arm && c.TrainPatients == n && c.Metric == "harrell_c"), "F3"))) + " |");
            if (study.Cells.Any(c => c.Arm == arm && c.Metric == "difference_to_scratch"))
                text.AppendLine($"| {arm} − scratch | " + string.Join(" | ", sizes.Select(n => Cell(study.Cells.FirstOrDefault(c => c.Arm == arm && c.TrainPatients == n && c.Metric == "difference_to_scratch"), "+0.000;-0.000"))) + " |");
        }
        if (study.ReferenceC.Count > 0)
            text.AppendLine().AppendLine("References on the study's test patients (Harrell C): " + string.Join(", ", study.ReferenceC.Select(kv => string.Format(inv, "{0} {1:F3}", kv.Key, kv.Value))) + ".");
        text.AppendLine().AppendLine(study.Statement).AppendLine().AppendLine("Details: `prognosis-transfer/table.md`, `harrell-c.svg`, `overfitting.svg`, `study.json`.");
    }
}
