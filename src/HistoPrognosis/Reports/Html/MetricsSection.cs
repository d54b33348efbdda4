using System.Globalization;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Reports.Html;

/// <summary>Discrimination and accuracy on the held-out patients, each with its 95% bootstrap interval, and the warnings.</summary>
public sealed class MetricsSection : IReportSection
{
    public string Id => "metrics";
    public string Title => "Test performance";
    public bool AppliesTo(RunReportContext run) => run.Result.Arms.Count > 0;

    public void Write(HtmlWriter html, RunReportContext run)
    {
        var inv = CultureInfo.InvariantCulture;
        double h = run.HorizonMonths;
        html.Paragraph(string.Create(inv, $"Held-out test patients: {run.Result.TestPatients}. 95% percentile bootstrap intervals over patients ({run.Result.Arms[0].Evaluation.BootstrapSamples} resamples)."));
        html.Table("metrics-table", "Discrimination and accuracy on the test patients",
            ["arm", "backbone", "Harrell C", string.Create(inv, $"Uno C (τ = {h:G})"), string.Create(inv, $"time-dependent AUC at {h:G} months"), string.Create(inv, $"Brier score at {h:G} months"), string.Create(inv, $"integrated Brier score, 0–{h:G} months"), "log-rank χ²", "log-rank p"],
            run.Result.Arms.Select(a =>
            {
                var e = a.Evaluation;
                return (IReadOnlyList<string>)[a.Name, a.FinetunedFrom is null ? a.Backbone : $"{a.FinetunedFrom} (fine-tuned)", e.HarrellC.Format(), Estimate.Format(e.UnoC), Estimate.Format(e.TimeDependentAuc),
                    e.HasEventProbabilities ? Estimate.Format(e.Brier) : "— (no p_event_5y)",
                    e.IntegratedBrierGrid is null ? "— (no survival curve)" : Estimate.Format(e.IntegratedBrier),
                    e.LogRankChiSquare is double chi ? chi.ToString("F2", inv) : "undefined", e.LogRankP is double p ? p.ToString("G3", inv) : "undefined"];
            }));
        if (run.Result.Comparison is { } c)
            html.Paragraph($"Paired difference of Harrell C on the same test patients ({c.Model}): {Estimate.Format(c.Difference)}.");
        if (run.Result.Arms[0].Evaluation.ReferenceC is { Count: > 0 } references)
            html.Table("reference-table", "References on the test patients (Harrell C)", ["reference", "Harrell C"],
                references.Select(kv => (IReadOnlyList<string>)[kv.Key, kv.Value.ToString("F3", inv)]));
        var warnings = run.Result.Arms.SelectMany(a => a.Evaluation.Warnings.Select(w => $"{a.Name}: {w}")).ToList();
        if (warnings.Count > 0) html.List(warnings, "warnings");
    }
}
