using System.Diagnostics;
using HistoPrognosis.Data;
using HistoPrognosis.Imaging;
using HistoPrognosis.Models;
using HistoPrognosis.Training;
using HistoPrognosis.Training.EndToEnd;
using static TorchSharp.torch;

namespace HistoPrognosis.Bench;

/// <summary>
/// Optimizer steps per second of end-to-end prognosis training (the default 8 patients × 16 patches per step,
/// discriminative all-layers phase, flips) against a plain patch-classification step on as many patches, on random
/// pixels at one image size: what the MIL bags, per-patient heads and the Cox loss cost above the backbone.
/// </summary>
public static class EndToEndThroughput
{
    public static void Run(TextWriter output, int size = 64, int steps = 6)
    {
        var config = new EndToEndSetup(new FinetuneConfig { HeadOnlySteps = 0, FullSteps = steps, WarmupFraction = 0 }, new HistoPrognosis.Mil.PrognosisConfig(), Seed: 7);
        int patients = 2 * config.EndToEnd.PatientsPerBatch, perPatient = config.EndToEnd.PatchesPerPatient, batch = config.EndToEnd.PatientsPerBatch * perPatient;
        var rng = new Random(1);
        var records = Enumerable.Range(0, patients * perPatient).Select(i => new PatchRecord($"{i}.png", $"P{i / perPatient}", i % 2, 0)).ToList();
        using var patches = PatchDataset.Build(records, size, PipelineLog.Silent, "random", (_, _) =>
        {
            var pixels = new byte[size * size * 3];
            rng.NextBytes(pixels);
            return new RgbImage(size, size, pixels);
        });
        var ids = Enumerable.Range(0, patients).Select(i => $"P{i}").ToList();
        var cohort = PatientPatches.Create(patches, ids, ids.Select((_, i) => 10.0 + i).ToArray(), ids.Select((_, i) => i % 3 != 0).ToArray());
        output.WriteLine($"threads {get_num_threads()}, {size}px, {batch} patches per step ({config.EndToEnd.PatientsPerBatch} patients × {perPatient})");

        var trainer = new EndToEndTrainer(config, CPU, PipelineLog.Silent);
        using (var warm = trainer.Train(PretrainedWeights.LoadImageNetResNet18(), cohort, PatientPatches.Create(patches, [], [], []))) { }
        using var model = trainer.Initialise(PretrainedWeights.LoadImageNetResNet18(), cohort);
        var clock = Stopwatch.StartNew();
        trainer.Train(model, cohort, PatientPatches.Create(patches, [], [], []));
        double e2e = steps / clock.Elapsed.TotalSeconds;
        output.WriteLine($"end-to-end step: {e2e:F2} steps/s, {e2e * batch:F0} patches/s (includes the head calibration over {patches.Count} patches)");

        var finetune = new FinetuneConfig { ImageSize = size, BatchSize = batch, HeadOnlySteps = 0, FullSteps = steps, WarmupFraction = 0 };
        using var classifier = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18());
        var classifierTrainer = new PatchClassifierTrainer(finetune, CPU, PipelineLog.Silent);
        classifierTrainer.Train(classifier, patches, FinetunePolicy.Discriminative, 1, new TrainingOptions(), "warm-up");
        clock.Restart();
        classifierTrainer.Train(classifier, patches, FinetunePolicy.Discriminative, 1, new TrainingOptions(), "patch");
        double plain = steps / clock.Elapsed.TotalSeconds;
        output.WriteLine($"patch-classification step: {plain:F2} steps/s, {plain * batch:F0} patches/s");
    }
}
