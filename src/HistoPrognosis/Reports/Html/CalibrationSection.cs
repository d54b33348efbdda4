using System.Globalization;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Reports.Html;

/// <summary>
/// Five-year calibration of each arm on its test patients, as the evaluation computed it (nothing is estimated
/// here): the grouped calibration curve against the Kaplan–Meier observed risk with its interval, the recalibration
/// intercept and slope, O/E and ICI/E50/E90/Emax, the decision curve, and the conformal lower bounds' coverage.
/// </summary>
public sealed class CalibrationSection : IReportSection
{
    public string Id => "calibration";
    public string Title => "Calibration and decision curves";

    public bool AppliesTo(RunReportContext run) =>
        run.Result.Arms.Any(a => a.Evaluation.Calibration is not null || a.Evaluation.DecisionCurve is not null || a.Evaluation.Conformal is not null);

    public void Write(HtmlWriter html, RunReportContext run)
    {
        var inv = CultureInfo.InvariantCulture;
        double h = run.HorizonMonths;
        html.Paragraph(string.Create(inv, $"Predicted probability of an event by {h:G} months (p_event_5y) against the Kaplan–Meier risk of the same patients. ") +
            "Intercept: IPCW logistic recalibration with the slope fixed at 1 (0 = no systematic over- or under-prediction); slope: its coefficient on logit p (1 = ideal, < 1 = too extreme). " +
            "ICI, E50, E90: mean, median and 90th percentile of |predicted − observed| with the observed risk from a Cox model on a restricted cubic spline of log(−log(1 − p)) (Austin et al. 2020).");
        foreach (var arm in run.Result.Arms)
        {
            var e = arm.Evaluation;
            if (e.Calibration is null && e.DecisionCurve is null && e.Conformal is null) continue;
            html.Heading(3, $"Arm {arm.Name}");
            if (e.Calibration is { } c)
            {
                html.Table($"calibration-{arm.Name}", "Calibration summary", ["intercept", "slope", "O/E", "ICI", "E50", "E90", "Emax"],
                    [[Estimate.Format(c.Intercept), Estimate.Format(c.Slope), Number(c.ObservedExpected), Estimate.Format(c.Ici), Number(c.E50), Number(c.E90), Number(c.Emax)]]);
                html.Image(LineChart.Png(CalibrationPlot(arm.Name, c), PlotSide, PlotSide), $"Calibration curve of arm {arm.Name}", PlotSide, PlotSide);
                html.Table($"calibration-groups-{arm.Name}", "Calibration groups (observed: 1 − Kaplan–Meier, 95% CI Greenwood on the log(−log) scale)",
                    ["group", "patients", "events", "mean predicted", "observed (95% CI)"],
                    c.Groups.Select(g => (IReadOnlyList<string>)[g.Group.ToString(inv), g.Patients.ToString(inv), g.Events.ToString(inv), g.MeanPredicted.ToString("F3", inv),
                        g.Observed is double o ? o.ToString("F3", inv) + (g.ObservedLower is double lo ? string.Create(inv, $" ({lo:F3}–{g.ObservedUpper:F3})") : "") : "undefined"]));
            }
            if (e.DecisionCurve is { Points.Count: > 0 } d)
            {
                var series = new List<ChartSeries>
                {
                    new("model", d.Points.Where(p => p.Model is not null).Select(p => (p.Threshold, p.Model!.Value, double.NaN, double.NaN)).ToList()),
                    new("treat all", d.Points.Where(p => p.TreatAll is not null).Select(p => (p.Threshold, p.TreatAll!.Value, double.NaN, double.NaN)).ToList()),
                    new("treat none", d.Points.Select(p => (p.Threshold, p.TreatNone, double.NaN, double.NaN)).ToList()),
                };
                // Treat-all falls steeply at high thresholds; the interesting range is around 0.
                double top = series.SelectMany(s => s.Points).Select(p => p.Y).DefaultIfEmpty(0).Max();
                var plot = LineChart.Build($"{arm.Name}: decision curve at {h.ToString("G", inv)} months", "risk threshold", "net benefit", series,
                    yMin: -Math.Max(0.05, top * 0.5), yMax: Math.Max(0.05, top * 1.1));
                int width = LineChart.Width(series);
                html.Image(LineChart.Png(plot, width, LineChart.Height), $"Decision curve of arm {arm.Name}", width, LineChart.Height);
            }
            if (e.Conformal is { } cf)
                html.Paragraph(string.Create(inv,
                    $"Conformal lower bounds on survival time (nominal coverage {cf.NominalLevel:P0}, capped at c₀ = {cf.CutoffMonths:G} months; calibrated on {cf.CalibrationPatients} of the test patients, checked on the other {cf.TestPatients}): " +
                    $"coverage {cf.TestCoverage.Lower:F3}–{cf.TestCoverage.Upper:F3} (censored before the bound counted as missed / as covered), IPCW estimate {Number(cf.TestCoverage.Ipcw)}; median bound {cf.MedianTestLowerBoundMonths:F1} months."));
        }
    }

    private const int PlotSide = 520;

    private static string Number(double? value) => value is double v ? v.ToString("F3", CultureInfo.InvariantCulture) : "undefined";

    private static ScottPlot.Plot CalibrationPlot(string arm, FiveYearCalibrationResult c)
    {
        var observed = c.Groups.Where(g => g.Observed is not null)
            .Select(g => (g.MeanPredicted, g.Observed!.Value, g.ObservedLower ?? double.NaN, g.ObservedUpper ?? double.NaN)).ToList();
        var plot = LineChart.Build($"{arm}: calibration at {c.HorizonMonths.ToString("G", CultureInfo.InvariantCulture)} months", "predicted risk", "observed risk (Kaplan–Meier)",
            [new ChartSeries("groups", observed)], yMin: 0, yMax: 1);
        var ideal = plot.Add.Line(0, 0, 1, 1);
        ideal.Color = ScottPlot.Colors.Gray;
        ideal.LinePattern = ScottPlot.LinePattern.Dashed;
        ideal.MarkerSize = 0;
        ideal.LegendText = "ideal";
        plot.Axes.SetLimits(0, 1, 0, 1);
        return plot;
    }
}
