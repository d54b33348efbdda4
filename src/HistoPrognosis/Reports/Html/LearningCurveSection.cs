namespace HistoPrognosis.Reports.Html;

/// <summary>The learning curves the training stages wrote (loss per epoch or step, validation metrics).</summary>
public sealed class LearningCurveSection : IReportSection
{
    private const int Width = 620, Height = 380;
    public string Id => "learning-curves";
    public string Title => "Learning curves";
    public bool AppliesTo(RunReportContext run) => run.LearningCurves.Count > 0;

    public void Write(HtmlWriter html, RunReportContext run)
    {
        foreach (var curve in run.LearningCurves)
        {
            var plot = LineChart.Build($"{curve.Arm}: {curve.Title}", curve.XLabel, curve.YLabel, curve.Series);
            html.Image(LineChart.Png(plot, Width, Height), $"{curve.Arm}: {curve.Title}", Width, Height);
        }
    }
}
