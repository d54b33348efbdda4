using System.Globalization;
using HistoPrognosis.Configuration;

namespace HistoPrognosis.Reports.Html;

/// <summary>Who was studied: patients, events, follow-up, the split, and where the outcome came from.</summary>
public sealed class CohortSection : IReportSection
{
    public string Id => "cohort";
    public string Title => "Cohort";
    public bool AppliesTo(RunReportContext run) => true;

    public void Write(HtmlWriter html, RunReportContext run)
    {
        var inv = CultureInfo.InvariantCulture;
        var r = run.Result;
        List<IReadOnlyList<string>> rows =
        [
            ["patients", r.Patients.ToString(inv)],
            ["events", r.Events.ToString(inv)],
            ["protocol", ConfigNames.Value(r.Protocol)],
            ["seed", r.Seed.ToString(inv)],
        ];
        if (r.Crossval is { } cv) rows.Add(["folds", $"{cv.Folds} (sizes {string.Join(", ", cv.FoldSizes)})"]);
        else rows.Add(["training / test patients", $"{r.TrainPatients} / {r.TestPatients}"]);
        if (run.ModelCard?.Participants is { } p)
        {
            rows.Add([string.Create(inv, $"events by {run.HorizonMonths:G} months"), p.EventsByHorizon.ToString(inv)]);
            rows.Add(["median follow-up (reverse Kaplan–Meier)", p.MedianFollowUpMonths is double m ? m.ToString("F1", inv) + " months" : "not reached"]);
        }
        if (run.Config is { } config)
            rows.Add(["outcome", config.Input.SimulateFollowUp ? "semi-synthetic: follow-up simulated from each patient's tumour burden on real patches" : $"recorded follow-up ({config.Input.Cohort})"]);
        html.Table("cohort-table", "Cohort and protocol", ["item", "value"], rows);
    }
}
