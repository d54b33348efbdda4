using System.Globalization;
using System.Text;
using System.Text.Json;
using HistoPrognosis.Data;
using HistoPrognosis.Models;
using HistoPrognosis.Reports;
using HistoPrognosis.Studies;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Training;

/// <summary>Settings of <c>histoprog finetune</c>.</summary>
public sealed record FinetuneJobConfig
{
    public string Patches { get; init; } = "";
    /// <summary>Validation table; when absent, 20% of the training patients are held out (patient-level).</summary>
    public string? ValidationPatches { get; init; }
    public string Backbone { get; init; } = BackboneFactory.ImageNet;
    public FinetunePolicy Policy { get; init; } = FinetunePolicy.Discriminative;
    public int Seed { get; init; } = 7;
    public int EvaluateEvery { get; init; } = 25;
    public int EarlyStoppingPatience { get; init; } = 4;
    public FinetuneConfig Finetune { get; init; } = new();
}

/// <summary>
/// Trains one patch classifier and writes it with everything needed to use it again: the weights as safetensors
/// (loadable in PyTorch), the config and preprocessing beside them, per-step losses and validation AUC per
/// evaluation. An interrupted run resumes from its checkpoint folder.
/// </summary>
public sealed class FinetuneJob(FinetuneJobConfig config, Device device, PipelineLog log)
{
    public TrainingHistory Run(string outputDirectory)
    {
        config.Finetune.Validate();
        var table = PatchTable.Load(config.Patches, requireLabel: true);
        PatchTable validationTable;
        PatchTable trainTable;
        if (config.ValidationPatches is { } vp)
        {
            validationTable = PatchTable.Load(vp, requireLabel: true);
            var shared = table.PatientIds.Intersect(validationTable.PatientIds).ToList();
            if (shared.Count > 0)
                throw new UserInputException($"{vp} shares {shared.Count} patient(s) with {config.Patches} (e.g. {shared[0]}): validation patients must be unseen");
            trainTable = table;
        }
        else
        {
            var split = PatientSplit.Create(table.PatientIds, 0, 0.2, config.Seed);
            trainTable = table.Subset(split.Train);
            validationTable = table.Subset(split.Test);
        }
        log.Info($"training {trainTable.PatientIds.Count} patients ({trainTable.Patches.Count} patches), validation {validationTable.PatientIds.Count} patients ({validationTable.Patches.Count} patches)");
        using var train = PatchDataset.Load(trainTable.Patches, config.Finetune.ImageSize, log, "loading training patches");
        using var validation = PatchDataset.Load(validationTable.Patches, config.Finetune.ImageSize, log, "loading validation patches");
        using var model = new PatchClassifier(BackboneFactory.Create(config.Backbone, config.Seed));
        model.to(device);

        Directory.CreateDirectory(outputDirectory);
        var checkpoints = Path.Combine(outputDirectory, "checkpoints");
        var evaluateAt = Enumerable.Range(1, config.Finetune.TotalSteps / Math.Max(1, config.EvaluateEvery))
            .Select(k => k * config.EvaluateEvery).Append(config.Finetune.TotalSteps).ToHashSet();
        var options = new TrainingOptions
        {
            Evaluate = m => ClassificationMetrics.RocAuc(PatchClassifierTrainer.PredictProbabilities(m, validation, device), validation.Labels),
            EvaluateAtSteps = evaluateAt,
            EarlyStoppingPatience = config.EarlyStoppingPatience,
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
            seconds = history.Seconds,
            config,
        };
        WriteAtomically(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(description, DemoConfig.Json));
        var losses = new StringBuilder("step,phase,loss\n");
        foreach (var l in history.Losses) losses.Append(CultureInfo.InvariantCulture, $"{l.Step},{l.Phase},{l.Loss:G6}\n");
        WriteAtomically(Path.Combine(directory, "losses.csv"), losses.ToString());
        var metrics = new StringBuilder("step,validation_auc\n");
        foreach (var e in history.Evaluations) metrics.Append(CultureInfo.InvariantCulture, $"{e.Step},{e.Value:G6}\n");
        WriteAtomically(Path.Combine(directory, "metrics.csv"), metrics.ToString());
        var curve = new ChartSeries("validation AUC", history.Evaluations.Select(e => ((double)e.Step, e.Value, double.NaN, double.NaN)).ToList());
        WriteAtomically(Path.Combine(directory, "learning-curve.svg"), LineChartSvg.Render("Validation ROC AUC during training", "optimizer step", "ROC AUC", [curve]));
    }

    private static void WriteAtomically(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
