using System.Globalization;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Reports.Html;

/// <summary>Cross-validation: pooled out-of-fold C per arm with its interval, and every fold's score.</summary>
public sealed class CrossvalSection : IReportSection
{
    public string Id => "crossval";
    public string Title => "Cross-validation";
    public bool AppliesTo(RunReportContext run) => run.Result.Crossval is not null;

    public void Write(HtmlWriter html, RunReportContext run)
    {
        var inv = CultureInfo.InvariantCulture;
        var cv = run.Result.Crossval!;
        static string Sd(double? sd) => sd is double s ? string.Create(CultureInfo.InvariantCulture, $" ± {s:F3}") : "";
        html.Paragraph(string.Create(inv, $"{cv.Folds}-fold patient-level cross-validation on {cv.Patients} patients ({cv.Events} events); pooled out-of-fold C with {cv.BootstrapSamples} bootstrap resamples."));
        html.Table("crossval-table", "Pooled out-of-fold discrimination", ["arm", "inputs", "Harrell C (fold mean ± sd)", "pooled Harrell C (95% CI)", "pooled Uno C (95% CI)"],
            cv.Arms.Select(a => (IReadOnlyList<string>)[a.Name, a.Inputs, a.HarrellMean.ToString("F3", inv) + Sd(a.HarrellSd), a.PooledHarrell.Format(), Estimate.Format(a.PooledUno)]));
        html.Table("fold-table", "Per fold", ["arm", "fold", "patients", "events", "Harrell C", "Uno C", "kept epoch"],
            cv.Arms.SelectMany(a => a.Folds.Select(f => (IReadOnlyList<string>)[a.Name, f.Fold.ToString(inv), f.Patients.ToString(inv), f.Events.ToString(inv),
                f.HarrellC.ToString("F3", inv), f.UnoC is double u ? u.ToString("F3", inv) : "undefined", f.KeptEpoch?.ToString(inv) ?? "—"])));
        foreach (var d in cv.BackboneComparisons ?? [])
            html.Paragraph($"{d.Model}: {cv.Backbone} − {cv.ComparisonBackbone} pooled C {Estimate.Format(d.Difference)}");
        if (cv.Warnings.Count > 0) html.List(cv.Warnings, "warnings");
    }
}
