using System.Globalization;

namespace HistoPrognosis.Reports.Html;

/// <summary>Kaplan–Meier curves of each arm's predicted low- and high-risk test patients, the numbers at risk and the log-rank test.</summary>
public sealed class KaplanMeierSection : IReportSection
{
    public string Id => "kaplan-meier";
    public string Title => "Kaplan–Meier by predicted risk group";
    public bool AppliesTo(RunReportContext run) => run.Arms.Count > 0;

    public void Write(HtmlWriter html, RunReportContext run)
    {
        var inv = CultureInfo.InvariantCulture;
        html.Paragraph("Test patients split at the median predicted risk (ties go low), as in the evaluation; ticks mark censored patients.");
        foreach (var arm in run.Arms)
        {
            var p = arm.Patients;
            var figure = KaplanMeierPlot.Draw($"{arm.Arm.Name}: Kaplan–Meier by predicted risk", p.Select(x => x.TimeMonths).ToArray(), p.Select(x => x.Event).ToArray(),
                p.Select(x => x.Risk).ToArray(), "months");
            html.Heading(3, $"Arm {arm.Arm.Name}");
            html.Image(LineChart.Png(figure.Plot, KaplanMeierPlot.Width, KaplanMeierPlot.Height), $"Kaplan–Meier curves of arm {arm.Arm.Name}", KaplanMeierPlot.Width, KaplanMeierPlot.Height);
            html.Table($"at-risk-{arm.Arm.Name}", "Numbers at risk", ["group", .. figure.AtRisk.Times.Select(t => t.ToString("G", inv) + " mo")],
                figure.AtRisk.Groups.Select(g => (IReadOnlyList<string>)[g.Group, .. g.AtRisk.Select(n => n.ToString(inv))]));
            var e = arm.Arm.Evaluation;
            html.Paragraph(e.LogRankP is double lp
                ? string.Create(inv, $"Log-rank test, low vs high: χ² = {e.LogRankChiSquare:F2} (1 df), p = {lp:G3}.")
                : "Log-rank test, low vs high: undefined (see the warnings above).");
        }
    }
}
