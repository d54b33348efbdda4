namespace HistoPrognosis.Reports.Html;

/// <summary>The sections of <c>report.html</c>, in page order.</summary>
public static class ReportSections
{
    /// <summary>
    /// Every section the report knows; each renders only when its data exist. Extension points: calibration and
    /// decision curves are <see cref="CalibrationSection"/> (renders nothing until the evaluation results carry them),
    /// heatmaps are <see cref="HeatmapSection"/> (renders whatever <c>heatmaps/**/*.png</c> the run holds).
    /// </summary>
    public static IReadOnlyList<IReportSection> Standard() =>
    [
        new CohortSection(),
        new MetricsSection(),
        new KaplanMeierSection(),
        new CalibrationSection(),
        new CrossvalSection(),
        new LearningCurveSection(),
        new TransferStudySection(),
        new HeatmapSection(),
        new PatientSection(),
        new ModelCardSection(),
    ];
}
