using System.Globalization;
using System.Text;
using System.Text.Json;
using HistoPrognosis.IO;

namespace HistoPrognosis.Reports;

/// <summary>Reads and writes a folder's <c>model_card.json</c> and <c>MODEL_CARD.md</c> (each atomically).</summary>
public static class ModelCardFile
{
    public const string JsonName = "model_card.json", MarkdownName = "MODEL_CARD.md";

    public static void Write(string directory, ModelCard card)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, JsonName), JsonSerializer.Serialize(card, JsonDefaults.Options));
        AtomicFile.WriteAllText(Path.Combine(directory, MarkdownName), Markdown(card));
    }

    /// <summary>The folder's card, or null when it has none (a model trained before cards were written).</summary>
    public static ModelCard? TryRead(string directory)
    {
        var path = Path.Combine(directory, JsonName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ModelCard>(File.ReadAllText(path), JsonDefaults.Options);
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{path}: not a readable model card ({ex.Message})", ex);
        }
    }

    /// <summary>The card as (section, item, value) rows: one list behind the Markdown and the HTML report.</summary>
    public static IReadOnlyList<(string Section, string Item, string Value)> Rows(ModelCard c)
    {
        var inv = CultureInfo.InvariantCulture;
        var p = c.Participants;
        var x = c.Predictors;
        var rows = new List<(string, string, string)>
        {
            ("Model", "model", c.Model),
            ("Data", "cohort (follow-up)", c.Data.Cohort),
            ("Data", "images", c.Data.Images),
            ("Data", "outcome source", c.Data.SemiSyntheticOutcome ? "semi-synthetic: follow-up simulated from real patches" : "as recorded in the cohort file"),
            ("Data", "eligibility", c.Data.Eligibility),
            ("Participants", "patients", p.Patients.ToString(inv)),
            ("Participants", "events (any time)", p.Events.ToString(inv)),
            ("Participants", "events by the horizon", p.EventsByHorizon.ToString(inv)),
            ("Participants", "median follow-up (reverse Kaplan–Meier)", p.MedianFollowUpMonths is double m ? m.ToString("F1", inv) + " months" : "not reached"),
            ("Participants", "longest follow-up", p.MaxFollowUpMonths.ToString("F1", inv) + " months"),
            ("Outcome", "outcome", c.Outcome),
            ("Predictors", "backbone", x.Backbone),
            ("Predictors", "weights hash (SHA-256)", x.WeightsHash),
            ("Predictors", "preprocessing", x.Preprocessing),
            ("Predictors", "network input", $"{x.ImageSizePx} px, {x.FeatureDimension} features per tile"),
            ("Predictors", "tile scale", x.TileMicronsPerPixel is double mpp ? string.Create(inv, $"{mpp:G} µm/px ({x.TileScale})") : x.TileScale),
            ("Predictors", "stain handling", x.StainHandling),
            ("Predictors", "clinical predictors", x.Clinical.Count > 0 ? string.Join(", ", x.Clinical) : "none (image only)"),
        };
        rows.AddRange(c.Splits.Select(s => ("Splits", "split", s)));
        rows.Add(("Tuning", "tuning", c.Tuning));
        rows.AddRange(c.Performance.Select(m => ("Performance", $"{m.Arm}: {m.Name}", FormatMetric(m))));
        if (c.Performance.Count == 0) rows.Add(("Performance", "test performance", "not evaluated with this model folder: see the run's model card and report"));
        rows.AddRange(c.Limitations.Select(l => ("Limitations", "limitation", l)));
        rows.Add(("Intended use", "intended use", c.IntendedUse));
        rows.Add(("Identifiers", "identifiers", c.Identifiers));
        return rows;
    }

    public static string FormatMetric(ModelCardMetric m) => string.Create(CultureInfo.InvariantCulture,
        $"{m.Value:F3}{(m.Lower is double lo && m.Upper is double hi ? $" (95% CI {lo:F3}–{hi:F3})" : " (no interval)")} on {m.On}");

    public static string Markdown(ModelCard card)
    {
        var text = new StringBuilder();
        text.AppendLine($"# Model card: {card.Title}").AppendLine();
        text.AppendLine("TRIPOD+AI items that apply to this model, filled from the run that made it; the same in `model_card.json`.");
        foreach (var section in Rows(card).GroupBy(r => r.Section))
        {
            text.AppendLine().AppendLine($"## {section.Key}").AppendLine();
            foreach (var (_, item, value) in section) text.AppendLine($"- **{item}**: {value}");
        }
        return text.ToString();
    }
}
