using System.Globalization;
using System.Text;
using System.Text.Json;
using HistoPrognosis.Data;
using HistoPrognosis.Models;
using HistoPrognosis.Reports;
using HistoPrognosis.Stain;
using HistoPrognosis.Training;
using TorchSharp;
using static TorchSharp.torch;
using HistoPrognosis.IO;

namespace HistoPrognosis.Workflow;

/// <summary>What one fine-tuning job starts from: the backbone spec, the run's seed and the training settings.</summary>
public sealed record FinetuneJobConfig(string Backbone, int Seed, FinetuneConfig Finetune, StainConfig Stain)
{
    public FinetunePolicy Policy => Finetune.Policy;
}

/// <summary>
/// Trains one patch classifier and writes it with everything needed to use it again: the weights as safetensors
/// (loadable in PyTorch), the config and preprocessing beside them, per-step losses and validation AUC per
/// evaluation. An interrupted run resumes from its checkpoint folder.
/// </summary>
public sealed class FinetuneJob(FinetuneJobConfig config, Device device, PipelineLog log)
{
    /// <summary>The one output that differs between runs: wall time, kept out of <c>config.json</c>.</summary>
    public const string TimingFile = TrainingCheckpoint.TimingFile;

    /// <param name="table">labelled training patches</param>
    /// <param name="validationTable">labelled validation patches of other patients; null: 20% of the training patients are held out (patient level)</param>
    public TrainingHistory Run(PatchTable table, PatchTable? validationTable, string outputDirectory)
    {
        config.Finetune.Validate();
        PatchTable trainTable;
        if (validationTable is not null)
        {
            var shared = table.PatientIds.Intersect(validationTable.PatientIds).ToList();
            if (shared.Count > 0)
                throw new UserInputException($"{validationTable.SourcePath} shares {shared.Count} patient(s) with {table.SourcePath} (e.g. {shared[0]}): validation patients must be unseen");
            trainTable = table;
        }
        else
        {
            var split = PatientSplit.Create(table.PatientIds, 0, 0.2, config.Seed, source: table.SourcePath);
            trainTable = table.Subset(split.Train);
            validationTable = table.Subset(split.Test);
        }
        log.Info($"training {trainTable.PatientIds.Count} patients ({trainTable.Patches.Count} patches), validation {validationTable.PatientIds.Count} patients ({validationTable.Patches.Count} patches)");
        // The same stain normalization as the features this backbone will extract.
        using var reader = new PatchReader(config.Stain.Create(table.MaxImagePixels).Transform);
        using var train = PatchDataset.Load(trainTable.Patches, config.Finetune.ImageSize, log, "loading training patches", reader);
        using var validation = PatchDataset.Load(validationTable.Patches, config.Finetune.ImageSize, log, "loading validation patches", reader);
        using var model = new PatchClassifier(BackboneFactory.Create(config.Backbone, config.Seed));
        model.to(device);
        PhasePlan.For(config.Policy, config.Finetune, model.Backbone.StageNames); // a plan this backbone cannot follow fails before anything is written

        Directory.CreateDirectory(outputDirectory);
        var checkpoints = Path.Combine(outputDirectory, "checkpoints");
        var evaluateAt = Enumerable.Range(1, config.Finetune.TotalSteps / Math.Max(1, config.Finetune.EvaluateEvery))
            .Select(k => k * config.Finetune.EvaluateEvery).Append(config.Finetune.TotalSteps).ToHashSet();
        var options = new TrainingOptions
        {
            Evaluate = m => ClassificationMetrics.RocAuc(PatchClassifierTrainer.PredictProbabilities(m, validation, device), validation.Labels),
            EvaluateAtSteps = evaluateAt,
            EarlyStoppingPatience = config.Finetune.EarlyStoppingPatience,
            CheckpointDirectory = checkpoints,
        };
        var history = new PatchClassifierTrainer(config.Finetune, device, log).Train(model, train, config.Policy, config.Seed, options, config.Policy.ToString().ToLowerInvariant());
        WriteOutputs(outputDirectory, model, history);
        return history;
    }

    private void WriteOutputs(string directory, PatchClassifier model, TrainingHistory history)
    {
        SafetensorsWeights.Save(model, Path.Combine(directory, "model.safetensors"));
        var description = new
        {
            backbone = config.Backbone,
            architecture = model.Backbone.Describe(),
            policy = config.Policy.ToString().ToLowerInvariant(),
            image_size = config.Finetune.ImageSize,
            preprocessing = "pad to a white square, resize bilinearly to image_size, then the backbone's normalisation (architecture)",
            output = "one logit per patch; sigmoid gives P(IDC)",
            best_step = history.BestStep,
            config,
        };
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(description, HistoPrognosis.IO.JsonDefaults.Options));
        CrashPoint.Hit("finetune.outputs");
        // Wall time apart from the results, so a resumed run's outputs are byte-identical to an uninterrupted one's.
        AtomicFile.WriteAllText(Path.Combine(directory, TimingFile), JsonSerializer.Serialize(new { seconds = history.Seconds }, HistoPrognosis.IO.JsonDefaults.Options));
        CsvFile.Write(Path.Combine(directory, "losses.csv"), ["step", "phase", "loss"], history.Losses.Select(l => new object?[] { l.Step, l.Phase, l.Loss }));
        CsvFile.Write(Path.Combine(directory, "metrics.csv"), ["step", "validation_auc"], history.Evaluations.Select(e => new object?[] { e.Step, e.Value }));
        var curve = new ChartSeries("validation AUC", history.Evaluations.Select(e => ((double)e.Step, e.Value, double.NaN, double.NaN)).ToList());
        AtomicFile.WriteAllText(Path.Combine(directory, "learning-curve.svg"), LineChartSvg.Render("Validation ROC AUC during training", "optimizer step", "ROC AUC", [curve]));
    }
}
