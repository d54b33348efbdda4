using System.Globalization;

namespace HistoPrognosis.Reports.Html;

/// <summary>The prognosis-transfer study of the run (<c>prognosis-transfer/</c>): its table and its two plots.</summary>
public sealed class TransferStudySection : IReportSection
{
    private static readonly string[] Plots = ["harrell-c.svg", "overfitting.svg"];
    public string Id => "prognosis-transfer";
    public string Title => "Transfer vs scratch on the prognosis itself";
    public bool AppliesTo(RunReportContext run) => run.Result.PrognosisTransfer is not null;

    public void Write(HtmlWriter html, RunReportContext run)
    {
        var study = run.Result.PrognosisTransfer!;
        html.Paragraph(string.Create(CultureInfo.InvariantCulture, $"Its own split: {study.TestPatients} test patients, training draws from the other {study.TrainingPool}. Mean over repeats (95% interval)."));
        html.Table("prognosis-transfer-table", "Test Harrell C per arm and training size, and the paired difference to scratch", ["arm", "training patients", "metric", "value (95% interval)", "runs"],
            study.Cells.Select(c => (IReadOnlyList<string>)[c.Arm, c.TrainPatients.ToString(CultureInfo.InvariantCulture), c.Metric.Replace('_', ' '),
                c.Format(c.Metric == "difference_to_scratch" ? "+0.000;-0.000" : "F3"), c.Runs.ToString(CultureInfo.InvariantCulture)]));
        html.Paragraph(study.Statement);
        // The study's own SVGs (ScottPlot), inline as images.
        foreach (var name in Plots)
        {
            var path = Path.Combine(run.RunDirectory, "prognosis-transfer", name);
            if (File.Exists(path)) html.Raw($"<img src=\"{HtmlWriter.DataUri(File.ReadAllBytes(path), "image/svg+xml")}\" alt=\"{HtmlWriter.Escape(name)}\">\n");
        }
    }
}
