namespace HistoPrognosis.Reports.Html;

/// <summary>
/// Extension point: calibration and decision curves (issue 15, points 1–3). The statistics are being added to
/// <see cref="PrognosisEvaluationResult"/> separately; until they are, this section has no data and does not render
/// (nothing is estimated here). When they land: make <see cref="AppliesTo"/> test for them on any arm, and draw them
/// in <see cref="Write"/> from each <c>run.Arms[i].Arm.Evaluation</c> with <see cref="LineChart"/>.
/// </summary>
public sealed class CalibrationSection : IReportSection
{
    public string Id => "calibration";
    public string Title => "Calibration and decision curves";

    public bool AppliesTo(RunReportContext run) => false;

    public void Write(HtmlWriter html, RunReportContext run) { }
}
