using System.Globalization;

namespace HistoPrognosis.Reports.Html;

/// <summary>One row per held-out test patient of each arm: risk, p_event_5y, risk group and follow-up.</summary>
public sealed class PatientSection : IReportSection
{
    public string Id => "patients";
    public string Title => "Test patients";
    public bool AppliesTo(RunReportContext run) => run.Arms.Count > 0;

    public void Write(HtmlWriter html, RunReportContext run)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var arm in run.Arms)
            html.Table($"patients-{arm.Arm.Name}", $"Arm {arm.Arm.Name}: predictions on the test patients", ["patient", "risk", "p_event_5y", "risk group", "time (months)", "event"],
                arm.Patients.Select(p => (IReadOnlyList<string>)[p.PatientId, p.Risk.ToString("F4", inv), p.EventProbability?.ToString("F3", inv) ?? "—", p.RiskGroup,
                    p.TimeMonths.ToString("F1", inv), p.Event ? "yes" : "no"]));
    }
}
