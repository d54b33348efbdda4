namespace HistoPrognosis.Reports.Html;

/// <summary>
/// One section of <c>report.html</c>. A section renders only when its data exist (<see cref="AppliesTo"/>), so a
/// crossval run has no Kaplan–Meier section and a run without heatmaps no heatmap section; new sections (calibration
/// and decision curves, for one) are added to <see cref="ReportSections.Standard"/>.
/// </summary>
public interface IReportSection
{
    /// <summary>The section's anchor in the page (also its element id).</summary>
    string Id { get; }
    string Title { get; }
    bool AppliesTo(RunReportContext run);
    /// <summary>Writes the section's body (the heading is written by the report).</summary>
    void Write(HtmlWriter html, RunReportContext run);
}
