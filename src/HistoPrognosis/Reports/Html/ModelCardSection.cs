namespace HistoPrognosis.Reports.Html;

/// <summary>The run's model card (<c>MODEL_CARD.md</c>) as a table of its TRIPOD+AI items.</summary>
public sealed class ModelCardSection : IReportSection
{
    public string Id => "model-card";
    public string Title => "Model card";
    public bool AppliesTo(RunReportContext run) => run.ModelCard is not null;

    public void Write(HtmlWriter html, RunReportContext run)
    {
        html.Paragraph($"{run.ModelCard!.Title}: the TRIPOD+AI items that apply, as in {ModelCardFile.MarkdownName} and {ModelCardFile.JsonName}.");
        html.Table("model-card-table", "Model card", ["section", "item", "value"],
            ModelCardFile.Rows(run.ModelCard).Select(r => (IReadOnlyList<string>)[r.Section, r.Item, r.Value]));
    }
}
