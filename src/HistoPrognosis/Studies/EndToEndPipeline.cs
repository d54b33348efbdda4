using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Training.EndToEnd;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Studies;

/// <summary>
/// <c>histoprog train --end-to-end</c> and <c>predict</c> on such a model: patches are decoded (stain-normalized
/// as configured) into memory as uint8, the backbone is fine-tuned through the MIL survival loss, and prediction
/// decodes a bounded group of patients at a time.
/// </summary>
public sealed class EndToEndPipeline(Device device, PipelineLog log)
{
    /// <summary>Patients decoded together at prediction (bounds memory on large cohorts).</summary>
    private const int PredictionGroup = 32;

    /// <param name="checkpointDirectory">training checkpoints, for a killed run to resume from (null: none)</param>
    public EndToEndModel Train(Cohort fullCohort, FeatureSource source, EndToEndSetup config, string modelDirectory, bool allowMissing = false,
        string? checkpointDirectory = null)
    {
        config.Validate();
        var cohort = PrognosisPipeline.WithPatches(fullCohort, source.Patches, allowMissing, log);
        var ids = cohort.Patients.Select(p => p.PatientId).ToList();
        var (stain, stainKey) = source.Stain.Create(source.Patches.MaxImagePixels);
        using var reader = new PatchReader(stain);
        using var patches = PatchDataset.Load(source.Patches.Subset(ids).Patches, source.ImageSize, log, "loading patches", reader);
        var (train, validation) = PrognosisPipeline.HoldOut(ids, cohort.Events, config.EndToEnd.ValidationFraction, config.Seed);
        // Fitted on the patients that train (as the frozen path's encoder): the validation patients stay unseen.
        var clinical = ClinicalEncoder.Fit(cohort.Subset(train.Select(i => ids[i])), config.Model.Clinical);
        var all = PatientPatches.Create(patches, ids, cohort.Time, cohort.Events, clinical.Encode(cohort));
        log.Info($"end-to-end: training on {train.Count} patients ({train.Count(i => all.Event[i])} events, {patches.Count} patches in all), validating on {validation.Count}");
        var backbone = BackboneFactory.Create(source.Backbone, source.BackboneSeed);
        var model = new EndToEndTrainer(config, device, log).Train(backbone, all.Select(train), all.Select(validation), checkpointDirectory: checkpointDirectory);
        // The features this model's backbone gives as --backbone MODEL_DIR (same weights, preprocessing, size and engine).
        var features = FeatureSettings.Of($"end-to-end model from {source.Backbone}", model.Network.Backbone, source.ImageSize, device, source.Engine, stainKey);
        var manifest = new EndToEndManifest(EndToEndModelFile.Version, source.Backbone, source.BackboneSeed, source.ImageSize, source.Stain, config,
            model.Head.State, clinical, model.Describe(), model.History?.BestStep ?? 0,
            (config.EndToEnd.RefitHeadOnAllPatients ? train.Concat(validation) : train).Select(i => ids[i]).ToArray(), features);
        EndToEndModelFile.Save(modelDirectory, model, manifest);
        Reports.ModelCardFile.Write(modelDirectory, Reports.ModelCard.ForEndToEndModel(cohort, source.Patches.SourcePath, features, source.Stain, config.Model,
            source.Backbone, train.Count, validation.Count, model.History?.BestStep ?? 0, config.Optimisation.TotalSteps, config.EndToEnd.RefitHeadOnAllPatients));
        return model;
    }

    /// <summary>Writes <c>patient_id, risk, p_event_5y</c> for every cohort patient, as for a frozen-feature model.</summary>
    public IReadOnlyList<PatientPrediction> Predict(string modelDirectory, Cohort cohort, PatchTable table, string risksPath, bool allowMissing = false)
    {
        var (model, manifest) = EndToEndModelFile.Load(modelDirectory, device);
        using var _ = model;
        cohort = PrognosisPipeline.WithPatches(cohort, table, allowMissing, log);
        var ids = cohort.Patients.Select(p => p.PatientId).ToList();
        var clinical = manifest.Clinical.Encode(cohort); // before any decoding: a missing or bad column fails at once
        using var reader = new PatchReader(manifest.Stain.Create(table.MaxImagePixels).Transform);
        var predictions = new List<PatientPrediction>(ids.Count);
        for (int start = 0; start < ids.Count; start += PredictionGroup)
        {
            var group = ids.GetRange(start, Math.Min(PredictionGroup, ids.Count - start));
            using var patches = PatchDataset.Load(table.Subset(group).Patches, manifest.ImageSize, log, "loading patches", reader);
            predictions.AddRange(model.Predict(PatientPatches.ForPrediction(patches, group, clinical[start..(start + group.Count)])));
        }
        PrognosisPipeline.RequireFinite(predictions, modelDirectory);
        PrognosisPipeline.WriteRisks(risksPath, predictions, model.Head.CurveMonths());
        return predictions;
    }
}
