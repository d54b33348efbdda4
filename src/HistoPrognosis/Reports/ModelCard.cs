using System.Globalization;
using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Mil;
using HistoPrognosis.Stain;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Reports;

/// <summary>Where the data came from and who was eligible (TRIPOD+AI items 5–7).</summary>
public sealed record ModelCardData(string Cohort, string Images, bool SemiSyntheticOutcome, string Eligibility);

/// <summary>Patients, events and follow-up of the patients the card describes (TRIPOD+AI item 20).</summary>
public sealed record ModelCardParticipants(int Patients, int Events, int EventsByHorizon, double? MedianFollowUpMonths, double MaxFollowUpMonths)
{
    /// <summary>Median follow-up by the reverse Kaplan–Meier method (censoring as the event), null when it is never reached.</summary>
    public static ModelCardParticipants Of(double[] time, bool[] @event, double horizon)
    {
        double? median = null;
        if (time.Length > 0)
        {
            var reverse = KaplanMeier.Fit(time, @event.Select(e => !e).ToArray());
            for (int k = 0; k < reverse.Time.Count; k++)
                if (reverse.Survival[k] <= 0.5) { median = reverse.Time[k]; break; }
        }
        return new(time.Length, @event.Count(e => e), Enumerable.Range(0, time.Length).Count(i => @event[i] && time[i] <= horizon), median, time.DefaultIfEmpty(0).Max());
    }
}

/// <summary>The image predictors as the model saw them (TRIPOD+AI item 8): backbone, its weights hash, preprocessing, tile scale and stain handling.</summary>
public sealed record ModelCardPredictors(string Backbone, string WeightsHash, string Preprocessing, int ImageSizePx, int FeatureDimension,
    double? TileMicronsPerPixel, string TileScale, string StainHandling, IReadOnlyList<string> Clinical);

/// <summary>One performance measure with its 95% interval (TRIPOD+AI item 23), on the patients named by <paramref name="On"/>.</summary>
public sealed record ModelCardMetric(string Arm, string Name, double Value, double? Lower, double? Upper, string On);

/// <summary>
/// A model card of the TRIPOD+AI items that apply to a HistoPrognosis model, filled from the run: written as
/// <c>model_card.json</c> and <c>MODEL_CARD.md</c> with every trained model (performance empty: nothing is tested
/// there) and, completed with the test metrics, at the root of a run.
/// </summary>
public sealed record ModelCard
{
    public required string Title { get; init; }
    public required string Model { get; init; }
    public required ModelCardData Data { get; init; }
    public required ModelCardParticipants Participants { get; init; }
    public required string Outcome { get; init; }
    public required ModelCardPredictors Predictors { get; init; }
    public required IReadOnlyList<string> Splits { get; init; }
    public required string Tuning { get; init; }
    public IReadOnlyList<ModelCardMetric> Performance { get; init; } = [];
    public required IReadOnlyList<string> Limitations { get; init; }
    public string IntendedUse { get; init; } = "Research on image-based breast-cancer prognosis only; not validated for, and not to be used in, clinical decisions about individual patients.";
    public string Identifiers { get; init; } = "No names, dates of birth, record numbers or other direct identifiers are read or stored. The model files list the cohort's own patient_id values of the training patients (so that a later test set can be checked for overlap): use pseudonymous study ids.";

    public static string OutcomeAt(double horizonMonths) => string.Create(CultureInfo.InvariantCulture,
        $"Event by {horizonMonths:G} months (five-year prognosis) from time_months and event, censored patients kept through the survival loss; the model outputs a risk score (higher = worse) and p_event_5y, the probability of the event by {horizonMonths:G} months.");

    public static string Stain(StainConfig stain) => stain.Method == StainMethod.None
        ? "none: tiles used as scanned"
        : $"{ConfigNames.Value(stain.Method)} normalization{(stain.Target is { } t ? $" to the target {Path.GetFileName(t)}" : "")}, applied to every tile before the backbone";

    public static IReadOnlyList<string> BaseLimitations(int patients, bool semiSynthetic)
    {
        var list = new List<string>();
        if (semiSynthetic) list.Add("The outcomes are semi-synthetic: follow-up was simulated from each patient's tumour burden on real patches, so performance says how well the image signal is recovered, not how well real survival is predicted.");
        if (patients < 200) list.Add(string.Create(CultureInfo.InvariantCulture, $"Small development sample ({patients} patients): intervals are wide and the model is likely overfitted; external validation is needed before any use."));
        list.Add("Not externally validated; performance on other scanners, stains, sites or populations is unknown.");
        return list;
    }

    /// <summary>The card of a frozen-feature MIL model, written with its model folder at training.</summary>
    public static ModelCard ForTrainedModel(Cohort cohort, string images, FeatureSettings features, StainConfig stain, PrognosisConfig config,
        int trainPatients, int validationPatients, int bestEpoch)
    {
        bool semiSynthetic = IsSemiSynthetic(cohort);
        return new ModelCard
        {
            Title = "HistoPrognosis MIL survival model",
            Model = Describe(config),
            Data = new ModelCardData(cohort.SourcePath, images, semiSynthetic, Eligibility),
            Participants = ModelCardParticipants.Of(cohort.Time, cohort.Events, config.HorizonMonths),
            Outcome = OutcomeAt(config.HorizonMonths),
            Predictors = PredictorsOf(features, stain, config.Clinical),
            Splits = [validationPatients > 0
                ? string.Create(CultureInfo.InvariantCulture, $"Training: {trainPatients} patients fit the weights, {validationPatients} held out (model.validation_fraction {config.ValidationFraction:G}, stratified by event) choose the epoch; no test patient is among them.")
                : $"Training: all {trainPatients} training patients fit the weights (model.validation_fraction 0: no validation share); no test patient is among them."],
            Tuning = validationPatients > 0
                ? $"Settings fixed by the config (no search); the epoch with the best validation Harrell C was kept (epoch {bestEpoch} of {config.Mil.Epochs})."
                : $"Settings fixed by the config (no search); no validation share, so the epoch with the lowest training loss was kept (epoch {bestEpoch} of {config.Mil.Epochs}).",
            Limitations = BaseLimitations(cohort.Patients.Count, semiSynthetic),
        };
    }

    /// <summary>The card of an end-to-end model (backbone fine-tuned through the survival loss), written with its model folder.</summary>
    public static ModelCard ForEndToEndModel(Cohort cohort, string images, FeatureSettings features, StainConfig stain, PrognosisConfig config,
        string startingBackbone, int trainPatients, int validationPatients, int bestStep, int totalSteps, bool headRefitOnAll)
    {
        bool semiSynthetic = IsSemiSynthetic(cohort);
        return new ModelCard
        {
            Title = "HistoPrognosis end-to-end survival model",
            Model = $"{startingBackbone} backbone fine-tuned end to end with a {Describe(config)}",
            Data = new ModelCardData(cohort.SourcePath, images, semiSynthetic, Eligibility),
            Participants = ModelCardParticipants.Of(cohort.Time, cohort.Events, config.HorizonMonths),
            Outcome = OutcomeAt(config.HorizonMonths),
            Predictors = PredictorsOf(features, stain, config.Clinical),
            Splits = [$"Training: {trainPatients} patients fit the weights, {validationPatients} held out (stratified by event) choose the step" +
                      (headRefitOnAll && validationPatients > 0 ? $", then the aggregator and head are refit on all {trainPatients + validationPatients}" : "") + "; no test patient is among them."],
            Tuning = $"Settings fixed by the config (no search); the step with the best validation C-index was kept (step {bestStep} of {totalSteps}).",
            Limitations = BaseLimitations(cohort.Patients.Count, semiSynthetic),
        };
    }

    public const string Eligibility = "Every cohort patient with follow-up (time_months, event) and at least one patch or tile of tissue; patients without images are left out only when allow_missing is set.";

    public static ModelCardPredictors PredictorsOf(FeatureSettings features, StainConfig stain, IReadOnlyList<string> clinical) =>
        new(features.Backbone, features.WeightsHash, features.Preprocessing, features.ImageSize, features.Dimension, null,
            "as given by the patch table (not resampled by HistoPrognosis)", Stain(stain), clinical);

    public static string Describe(PrognosisConfig config) =>
        $"MIL survival model: {ConfigNames.Value(config.Aggregator)} aggregator over tile features, {ConfigNames.Value(config.Loss)} loss" +
        (config.Clinical.Count > 0 ? $", fused ({ConfigNames.Value(config.Fusion)}) with {string.Join(", ", config.Clinical)}" : "");

    /// <summary>A simulated cohort keeps its true linear predictor (<c>eta</c>): the outcome is then semi-synthetic.</summary>
    public static bool IsSemiSynthetic(Cohort cohort) => cohort.Columns.Contains("eta");
}
