using TorchSharp;
using System.Globalization;
using System.Text;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.IO;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Stain;
using static TorchSharp.torch;

namespace HistoPrognosis.Studies;

/// <summary>What <c>histoprog extract</c> did: patients in the patch table, how many were extracted now or read from the cache, and where.</summary>
public sealed record FeatureExtraction(int Patients, int Extracted, int Reused, string Folder, FeatureSettings Settings);

/// <summary>Where patches come from and how their features are made.</summary>
public sealed record FeatureSource(PatchTable Patches, string Backbone, int ImageSize, long BackboneSeed, string? CacheRoot, StainConfig Stain,
    FeatureEngineKind Engine = FeatureEngineKind.Auto)
{
    public static FeatureSource Of(PatchTable patches, FeatureConfig features, StainConfig stain, long seed) =>
        new(patches, features.Backbone, features.ImageSize, seed, features.Cache, stain, features.Engine);
}

/// <summary>
/// The prognosis stages a user runs on a cohort: train (features from the cache, MIL model, saved model directory)
/// and predict (a saved model on any cohort, which need not have follow-up). Prediction reads only patch paths and
/// patient ids from the patch table and only the clinical columns the model names from the cohort.
/// </summary>
public sealed class PrognosisPipeline(Device device, PipelineLog log)
{
    /// <summary>Trains on every cohort patient and writes the model files into <paramref name="modelDirectory"/> (the caller commits it).</summary>
    public PrognosisModel Train(Cohort fullCohort, FeatureSource source, PrognosisConfig config, string modelDirectory, bool allowMissing = false)
    {
        config.Validate();
        var withPatches = TrainingCohort(fullCohort, source.Patches, config, allowMissing, log);
        var (cohort, bags, settings) = LoadCohortFeatures(withPatches, source, allowMissing);
        var clinical = ClinicalEncoder.Fit(cohort, config.Clinical);
        var data = new PrognosisData(bags, clinical.Encode(cohort), cohort.Time, cohort.Events);
        var (train, validation) = HoldOut(data, config.ValidationFraction, config.Seed);
        log.Info($"training on {train.Count} patients ({train.Event.Count(e => e)} events), choosing the epoch on {validation.Count}");
        var model = PrognosisModel.Train(train, validation, clinical, config, device, log, TrainingStage(fullCohort));
        PrognosisModelFile.Save(modelDirectory, model, settings, source.BackboneSeed, cohort.Patients.Select(p => p.PatientId).ToArray(), source.Stain);
        Reports.ModelCardFile.Write(modelDirectory, Reports.ModelCard.ForTrainedModel(cohort, source.Patches.SourcePath, settings, source.Stain, config,
            train.Count, validation.Count, model.BestEpoch));
        return model;
    }

    /// <summary>
    /// The cohort's patients with patches, checked against the training minimum: <see cref="Train"/> starts here, and
    /// the train command calls it before LibTorch loads, so a cohort too small fails in a fraction of a second.
    /// </summary>
    public static Cohort TrainingCohort(Cohort cohort, PatchTable table, PrognosisConfig config, bool allowMissing, PipelineLog log)
    {
        var withPatches = WithPatches(cohort, table, allowMissing, log);
        config.TrainingMinimum().Check(TrainingStage(cohort), withPatches.Time, withPatches.Events);
        return withPatches;
    }

    private static string TrainingStage(Cohort cohort) => $"{cohort.SourcePath}: training";

    /// <summary>
    /// A cohort with follow-up (patients without patches dropped only when allowed) and every patient's features from
    /// the cache, extracting what it lacks. Training and cross-validation both start here.
    /// </summary>
    public (Cohort Cohort, IReadOnlyList<PatientBag> Bags, FeatureSettings Settings) LoadCohortFeatures(Cohort cohort, FeatureSource source, bool allowMissing)
    {
        var table = source.Patches;
        var backbone = new Lazy<Backbone>(() => CreateBackbone(source.Backbone, source.BackboneSeed));
        try
        {
            var (stain, stainKey) = source.Stain.Create(source.Patches.MaxImagePixels);
            var settings = FeatureSettings.Of(source.Backbone, backbone.Value, source.ImageSize, device, source.Engine, stainKey);
            cohort = WithPatches(cohort, table, allowMissing, log);
            return (cohort, Bags(table, cohort, backbone, settings, source.CacheRoot, stain), settings);
        }
        finally
        {
            if (backbone.IsValueCreated) backbone.Value.Dispose();
        }
    }

    /// <summary>Fills the feature cache for every patient of the patch table; a rerun with the same settings extracts nothing.</summary>
    public FeatureExtraction Extract(FeatureSource source)
    {
        var table = source.Patches;
        var patients = table.Patches.Select(p => p.PatientId).Distinct(StringComparer.Ordinal).ToList();
        if (patients.Count == 0) throw new UserInputException($"{table.SourcePath}: the patch table lists no patches");
        var backbone = new Lazy<Backbone>(() => CreateBackbone(source.Backbone, source.BackboneSeed));
        try
        {
            var (stain, stainKey) = source.Stain.Create(source.Patches.MaxImagePixels);
            var settings = FeatureSettings.Of(source.Backbone, backbone.Value, source.ImageSize, device, source.Engine, stainKey);
            var cache = new FeatureCache(source.CacheRoot ?? FeatureCache.DefaultRoot, log);
            cache.Get(table, patients, backbone, settings, device, stain);
            return new FeatureExtraction(patients.Count, cache.Extracted, cache.Reused, cache.FolderFor(settings), settings);
        }
        finally
        {
            if (backbone.IsValueCreated) backbone.Value.Dispose();
        }
    }

    /// <summary>Writes <c>patient_id, risk, p_event_5y</c> for every cohort patient (those without patches skipped only when allowed).</summary>
    public IReadOnlyList<PatientPrediction> Predict(string modelDirectory, Cohort cohort, PatchTable table, string risksPath,
        string? cacheRoot = null, bool allowMissing = false)
    {
        var (model, manifest) = PrognosisModelFile.Load(modelDirectory, device);
        using var _ = model;
        cohort = WithPatches(cohort, table, allowMissing, log);
        var clinical = model.Clinical.Encode(cohort);
        var backbone = new Lazy<Backbone>(() =>
        {
            var created = CreateBackbone(manifest.Features.Backbone, manifest.BackboneSeed);
            if (FeatureSettings.HashWeights(created) != manifest.Features.WeightsHash)
                throw new UserInputException($"{modelDirectory}: the model was trained on features of backbone '{manifest.Features.Backbone}' with other weights than it loads now (weights hash differs)");
            return created;
        });
        try
        {
            // The stain fit the model's features were made with, checked against the model's feature settings.
            var (stain, stainKey) = (manifest.Stain ?? new StainConfig()).Create();
            if (!manifest.Features.MadeWithStain(stainKey))
                throw new UserInputException($"{modelDirectory}: the stain normalization target {manifest.Stain?.Target} no longer gives the fit the model was trained with");
            var bags = Bags(table, cohort, backbone, manifest.Features, cacheRoot, stain);
            var predictions = model.Predict(bags, clinical);
            RequireFinite(predictions, modelDirectory);
            WriteRisks(risksPath, predictions, model.Head.CurveMonths());
            return predictions;
        }
        finally
        {
            if (backbone.IsValueCreated) backbone.Value.Dispose();
        }
    }

    /// <summary>
    /// <c>risks.csv</c>: patient_id, risk, p_event_5y, and the predicted survival curve <c>s_6m, s_12m, …</c> at
    /// <paramref name="curveMonths"/> when the head gives one (the evaluation's integrated Brier score reads it).
    /// </summary>
    public static void WriteRisks(string path, IReadOnlyList<PatientPrediction> predictions, double[] curveMonths)
    {
        bool curves = predictions.Count > 0 && predictions.All(p => p.Survival?.Length == curveMonths.Length);
        string[] header = ["patient_id", "risk", "p_event_5y", .. curves ? curveMonths.Select(SurvivalColumn) : []];
        CsvFile.Write(path, header, predictions.Select(p => (object?[])[p.PatientId, p.Risk, p.EventProbability, .. curves ? p.Survival!.Cast<object?>() : []]));
    }

    /// <summary>The risks-file column of the predicted survival at a time: <c>s_12m</c>.</summary>
    public static string SurvivalColumn(double months) => $"s_{months.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}m";

    private IReadOnlyList<PatientBag> Bags(PatchTable table, Cohort cohort, Lazy<Backbone> backbone, FeatureSettings settings, string? cacheRoot,
        Func<Imaging.RgbImage, Imaging.RgbImage>? stain)
    {
        var cache = new FeatureCache(cacheRoot ?? FeatureCache.DefaultRoot, log);
        var features = cache.Get(table, cohort.Patients.Select(p => p.PatientId).ToList(), backbone, settings, device, stain);
        return features.Select(f => new PatientBag(f.PatientId, f.Features)).ToList();
    }

    private Backbone CreateBackbone(string spec, long seed)
    {
        var backbone = BackboneFactory.Create(spec, seed);
        backbone.to(device);
        return backbone;
    }

    /// <summary>A model that diverged (a learning rate too high) predicts NaN: an error, never a NaN in a risks table.</summary>
    public static void RequireFinite(IReadOnlyList<PatientPrediction> predictions, string model)
    {
        if (predictions.FirstOrDefault(p => !double.IsFinite(p.Risk) || !double.IsFinite(p.EventProbability)) is { } bad)
            throw new UserInputException($"{model}: predicts a non-finite risk ({bad.Risk}) for patient {bad.PatientId}: its training diverged; lower model.mil.learning_rate (--lr)");
    }

    /// <summary>The cohort's patients that have patches in the table; the others are an error unless <paramref name="allowMissing"/>.</summary>
    public static Cohort WithPatches(Cohort cohort, PatchTable table, bool allowMissing, PipelineLog log)
    {
        var withPatches = table.Patches.Select(p => p.PatientId).ToHashSet(StringComparer.Ordinal);
        var missing = cohort.Patients.Where(p => !withPatches.Contains(p.PatientId)).ToList();
        if (missing.Count == 0) return cohort;
        var names = string.Join(", ", missing.Take(10).Select(p => $"{p.PatientId} (row {p.Line})")) + (missing.Count > 10 ? ", …" : "");
        if (!allowMissing)
            throw new UserInputException($"{cohort.SourcePath}: {missing.Count} patient(s) have no patches in {table.SourcePath}: {names}; pass --allow-missing to skip them");
        log.Info($"skipping {missing.Count} patient(s) without patches: {names}");
        var kept = cohort.Subset(cohort.Patients.Where(p => withPatches.Contains(p.PatientId)).Select(p => p.PatientId));
        if (kept.Patients.Count == 0) throw new UserInputException($"{cohort.SourcePath}: no cohort patient has patches in {table.SourcePath}");
        return kept;
    }

    /// <summary>Validation patients for epoch selection, stratified by event (every ⌈1/fraction⌉-th of a stratified fold dealing).</summary>
    public static (PrognosisData Train, PrognosisData Validation) HoldOut(PrognosisData data, double fraction, int seed)
    {
        var (train, validation) = HoldOut(data.Bags.Select(b => b.PatientId).ToList(), data.Event, fraction, seed);
        return (data.Select(train), data.Select(validation));
    }

    /// <summary>The same hold-out as positions into a patient list (none when the fraction is 0 or there are fewer than 10 patients).</summary>
    public static (List<int> Train, List<int> Validation) HoldOut(IReadOnlyList<string> patientIds, bool[] events, double fraction, int seed)
    {
        var all = Enumerable.Range(0, patientIds.Count).ToList();
        if (fraction <= 0 || patientIds.Count < 10) return (all, []);
        int folds = Math.Max(2, (int)Math.Round(1 / fraction));
        var fold = PatientFolds.Assign(patientIds, folds, seed + 101, PatientFolds.ByEventAndSite(events));
        return (all.Where(i => fold[i] != 0).ToList(), all.Where(i => fold[i] == 0).ToList());
    }
}
