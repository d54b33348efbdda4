using System.Diagnostics;
using HistoPrognosis.Data;
using HistoPrognosis.Imaging;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Survival;
using HistoPrognosis.Training;
using HistoPrognosis.Training.EndToEnd;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Training;

[Collection(TorchCollection.Name)]
public sealed class EndToEndTests(ITestOutputHelper output)
{
    private const int Size = 32;

    internal static EndToEndSetup Tiny(FinetunePolicy policy, int headSteps, int fullSteps, EndToEndConfig? endToEnd = null) => new(
        new FinetuneConfig
        {
            Policy = policy, HeadOnlySteps = headSteps, FullSteps = fullSteps, EvaluateEvery = 4, Augment = "flips",
            EndToEnd = endToEnd ?? new EndToEndConfig { PatientsPerBatch = 6, PatchesPerPatient = 4 },
        },
        new PrognosisConfig(), Seed: 5);

    /// <summary>
    /// Patients whose patches are bluer fail earlier: patient i has blueness bᵢ (spread over [0, 1], shuffled) and a
    /// brightness unrelated to outcome (the dominant image signal, which a random head ranks by), noisy patches whose
    /// red–blue balance shifts by 60·bᵢ, and follow-up 12 + 100·(1 − bᵢ) months; every fourth patient is censored.
    /// </summary>
    internal static (PatchDataset Patches, PatientPatches Cohort) Synthetic(int patients, int patchesPerPatient = 6, int seed = 11)
    {
        var rng = new Random(seed);
        var blueness = Enumerable.Range(0, patients).Select(i => i / (patients - 1.0)).ToArray();
        rng.Shuffle(blueness);
        var brightness = Enumerable.Range(0, patients).Select(_ => 110 + 100 * rng.NextDouble()).ToArray();
        var ids = Enumerable.Range(0, patients).Select(i => $"P{i:D2}").ToArray();
        var records = ids.SelectMany(id => Enumerable.Range(0, patchesPerPatient).Select(k => new PatchRecord($"{id}-{k}.png", id, null, 0))).ToList();
        var dataset = PatchDataset.Build(records, Size, PipelineLog.Silent, "synthetic", (record, index) =>
        {
            var local = new Random(seed * 1000 + index);
            int patient = index / patchesPerPatient;
            double level = brightness[patient], shift = 30 * (2 * blueness[patient] - 1);
            var pixels = new byte[Size * Size * 3];
            for (int p = 0; p < Size * Size; p++)
            {
                double v = level + local.Next(-25, 26);
                pixels[p * 3] = (byte)Math.Clamp(v - shift, 0, 255);
                pixels[p * 3 + 1] = (byte)Math.Clamp(v - 30, 0, 255);
                pixels[p * 3 + 2] = (byte)Math.Clamp(v + shift, 0, 255);
            }
            return new RgbImage(Size, Size, pixels);
        });
        var time = blueness.Select(d => 12 + 100 * (1 - d)).ToArray();
        var @event = Enumerable.Range(0, patients).Select(i => i % 4 != 3).ToArray();
        return (dataset, PatientPatches.Create(dataset, ids, time, @event));
    }

    internal static PatientPatches None(PatchDataset patches) => PatientPatches.Create(patches, [], [], []);

    private static double TrainingC(EndToEndModel model, PatientPatches cohort) =>
        Concordance.Harrell(cohort.Time, cohort.Event, model.Risks(cohort)).Value;

    private static double CohortLoss(EndToEndModel model, PatientPatches cohort)
    {
        using var outputs = tensor(model.Outputs(cohort).SelectMany(o => o).ToArray(), [cohort.Count, model.Head.OutputCount]);
        using var loss = model.Head.Loss(outputs, cohort.Time, cohort.Event);
        return loss.item<float>();
    }

    [Fact]
    public void LearnsRiskFromImageContentAndPredictsEveryPatient()
    {
        var (patches, cohort) = Synthetic(12);
        using var _ = patches;
        var config = Tiny(FinetunePolicy.Discriminative, headSteps: 10, fullSteps: 20);
        var trainer = new EndToEndTrainer(config, CPU, PipelineLog.Silent);
        using var model = trainer.Initialise(PretrainedWeights.LoadImageNetResNet18(), cohort);
        double cBefore = TrainingC(model, cohort), lossBefore = CohortLoss(model, cohort);
        var clock = Stopwatch.StartNew();
        var history = trainer.Train(model, cohort, None(patches));
        double seconds = clock.Elapsed.TotalSeconds;
        double cAfter = TrainingC(model, cohort), lossAfter = CohortLoss(model, cohort);
        output.WriteLine($"training C {cBefore:F3} → {cAfter:F3}, Cox loss {lossBefore:F3} → {lossAfter:F3}; {history.Losses.Count} steps in {seconds:F1} s ({history.Losses.Count / seconds:F2} steps/s, {history.Losses.Count * 24 / seconds:F0} patches/s)");
        output.WriteLine(model.Describe());
        Assert.Equal(30, history.Losses.Count);
        Assert.True(lossAfter < lossBefore, $"training loss {lossBefore:F3} → {lossAfter:F3}");
        Assert.True(cAfter > 0.75 && cAfter > cBefore, $"training C {cBefore:F3} → {cAfter:F3}");

        var predictions = model.Predict(cohort);
        Assert.Equal(cohort.PatientIds, predictions.Select(p => p.PatientId));
        Assert.All(predictions, p => Assert.InRange(p.EventProbability, 0, 1));
        Assert.All(predictions, p => Assert.Equal(6, p.Attention.Length));
        Assert.Contains("BatchNorm running statistics frozen", model.Describe());
    }

    [Theory]
    [InlineData(SurvivalLoss.Nll, MilAggregatorKind.Abmil)]
    [InlineData(SurvivalLoss.Binary5y, MilAggregatorKind.Max)]
    [InlineData(SurvivalLoss.Cox, MilAggregatorKind.Clam)]
    public void EveryLossAndAggregatorTrainsEndToEnd(SurvivalLoss loss, MilAggregatorKind aggregator)
    {
        var (patches, cohort) = Synthetic(8, patchesPerPatient: 3);
        using var _ = patches;
        var config = Tiny(FinetunePolicy.Discriminative, 1, 2) with { Model = new PrognosisConfig { Loss = loss, Aggregator = aggregator } };
        using var model = new EndToEndTrainer(config, CPU, PipelineLog.Silent).Train(PretrainedWeights.LoadImageNetResNet18(), cohort, None(patches));
        Assert.All(model.History!.Losses, l => Assert.True(double.IsFinite(l.Loss)));
        Assert.All(model.Predict(cohort), p => Assert.True(double.IsFinite(p.Risk) && p.EventProbability is >= 0 and <= 1));
    }

    /// <summary>
    /// Outcome set by one clinical covariate alone (follow-up ordered by it, unrelated to the image's blueness): with
    /// the covariate fused, end-to-end training ranks unseen patients almost perfectly; image-only it cannot.
    /// </summary>
    [Fact]
    public void ClinicalCovariatesAreFusedWithTheImage()
    {
        var (patches, imageCohort) = Synthetic(24, patchesPerPatient: 3);
        using var _ = patches;
        var covariate = Enumerable.Range(0, 24).Select(i => (float)((i * 7 % 24) / 23.0 * 2 - 1)).ToArray();
        var time = covariate.Select(x => 12 + 50 * (1 - (double)x)).ToArray();
        PatientPatches Cohort(Func<float, float[]> encode) =>
            PatientPatches.Create(patches, imageCohort.PatientIds, time, imageCohort.Event, covariate.Select(encode).ToArray());
        var clinical = Cohort(x => [x]);
        var imageOnly = PatientPatches.Create(patches, imageCohort.PatientIds, time, imageCohort.Event);
        int[] train = [.. Enumerable.Range(0, 16)], test = [.. Enumerable.Range(16, 8)];
        // Two image components (16 patients cannot be memorised through them) and a rate at which the covariate's weight can outgrow them within the warm start.
        var config = Tiny(FinetunePolicy.Frozen, headSteps: 4, fullSteps: 0) with { Model = new PrognosisConfig { Mil = new MilConfig { PcaComponents = 2, LearningRate = 1e-2 } } };
        using var fused = new EndToEndTrainer(config, CPU, PipelineLog.Silent).Train(PretrainedWeights.LoadImageNetResNet18(), clinical.Select(train), None(patches));
        using var plain = new EndToEndTrainer(config, CPU, PipelineLog.Silent).Train(PretrainedWeights.LoadImageNetResNet18(), imageOnly.Select(train), None(patches));
        double cFused = TrainingC(fused, clinical.Select(test)), cPlain = TrainingC(plain, imageOnly.Select(test));
        output.WriteLine($"test C with the covariate {cFused:F3}, image only {cPlain:F3}");
        Assert.Equal(1, fused.Network.ClinicalWidth);
        Assert.True(cFused > 0.85 && cFused > cPlain + 0.2, $"fused {cFused:F3}, image only {cPlain:F3}");
        // The covariate moves the prediction: the same patches with the covariate negated reverse the ranking.
        Assert.True(TrainingC(fused, Cohort(x => [-x]).Select(test)) < 0.5, "negated covariate still ranks as before");
        Assert.Throws<ArgumentException>(() => fused.Risks(imageOnly));
    }

    [Fact]
    public void ChunkedInferenceMatchesOnePass()
    {
        var (patches, cohort) = Synthetic(6, patchesPerPatient: 5);
        using var _ = patches;
        using var whole = new EndToEndTrainer(Tiny(FinetunePolicy.Frozen, 1, 0, new EndToEndConfig { PatientsPerBatch = 6, InferenceChunk = 64 }), CPU, PipelineLog.Silent).Initialise(PretrainedWeights.LoadImageNetResNet18(), cohort);
        using var chunked = new EndToEndTrainer(Tiny(FinetunePolicy.Frozen, 1, 0, new EndToEndConfig { PatientsPerBatch = 6, InferenceChunk = 2 }), CPU, PipelineLog.Silent).Initialise(PretrainedWeights.LoadImageNetResNet18(), cohort);
        var a = whole.Risks(cohort);
        var b = chunked.Risks(cohort);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 4);
    }

    [Fact]
    public void FrozenPolicyLeavesTheBackboneBitIdenticalWhileTheHeadMoves()
    {
        var (patches, cohort) = Synthetic(8);
        using var _ = patches;
        var (train, validation) = (cohort.Select([0, 1, 2, 3, 4, 5]), cohort.Select([6, 7]));
        var trainer = new EndToEndTrainer(Tiny(FinetunePolicy.Frozen, 3, 0), CPU, PipelineLog.Silent);
        using var model = trainer.Initialise(PretrainedWeights.LoadImageNetResNet18(), train);
        var backboneBefore = model.Network.Backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var headBefore = model.Network.HeadParameters.Select(p => p.clone()).ToList();
        trainer.Train(model, train, validation);
        foreach (var (name, value) in model.Network.Backbone.state_dict())
            Assert.True(value.equal(backboneBefore[name]).all().item<bool>(), $"{name} changed under the frozen policy");
        Assert.Contains(model.Network.HeadParameters.Zip(headBefore), pair => !pair.First.equal(pair.Second).all().item<bool>());
    }

    [Fact]
    public void DiscriminativePolicyMovesEveryStage()
    {
        var (patches, cohort) = Synthetic(6);
        using var _ = patches;
        var trainer = new EndToEndTrainer(Tiny(FinetunePolicy.Discriminative, 1, 2), CPU, PipelineLog.Silent);
        using var model = trainer.Initialise(PretrainedWeights.LoadImageNetResNet18(), cohort);
        var backbone = model.Network.Backbone;
        var before = backbone.StageNames.ToDictionary(s => s, s => backbone.StageParameters(s).Select(p => p.clone()).ToList());
        var history = trainer.Train(model, cohort, None(patches));
        Assert.Equal(["head-only", "all-layers", "all-layers"], history.Losses.Select(l => l.Phase));
        foreach (var stage in backbone.StageNames)
            Assert.True(backbone.StageParameters(stage).Zip(before[stage]).All(p => !p.First.equal(p.Second).all().item<bool>()), $"a parameter of {stage} did not move");
    }

    /// <summary>
    /// Linear probing, then fine-tuning: the warm start fits the head on the starting backbone's embeddings before any
    /// step (the cohort loss falls though the one step that follows barely moves anything), is evaluated as step 0,
    /// and is what the model keeps when no step beats it; without it the same budget leaves the head untrained.
    /// </summary>
    [Fact]
    public void WarmStartFitsTheHeadBeforeAnyStepAndIsKeptAsStepZero()
    {
        var (patches, cohort) = Synthetic(14);
        using var _ = patches;
        var (train, validation) = (cohort.Select([.. Enumerable.Range(0, 10)]), cohort.Select([10, 11, 12, 13]));
        (double Loss, double Untrained, TrainingHistory History) Run(bool warm)
        {
            var tiny = Tiny(FinetunePolicy.Frozen, headSteps: 1, fullSteps: 0, new EndToEndConfig { PatientsPerBatch = 6, PatchesPerPatient = 4, WarmStartHead = warm, RefitHeadOnAllPatients = false });
            var config = tiny with { Optimisation = tiny.Optimisation with { HeadLearningRate = 1e-9, EvaluateEvery = 1 } };
            var trainer = new EndToEndTrainer(config, CPU, PipelineLog.Silent);
            using var model = trainer.Initialise(PretrainedWeights.LoadImageNetResNet18(), train);
            double untrained = CohortLoss(model, train);
            var history = trainer.Train(model, train, validation);
            return (CohortLoss(model, train), untrained, history);
        }
        var warm = Run(true);
        var cold = Run(false);
        output.WriteLine($"cohort loss untrained {warm.Untrained:F4}; after warm start + 1 step {warm.Loss:F4}; without warm start {cold.Loss:F4}");
        Assert.Equal(warm.Untrained, cold.Untrained); // the same seeded initialisation
        Assert.True(warm.Loss < warm.Untrained - 0.1, $"warm start did not fit the head: {warm.Untrained:F4} → {warm.Loss:F4}");
        // Without the warm start only the projection is fitted (standardisation + PCA, no outcome seen): the head
        // stays unfitted, so the warm start's fit is what lowers the loss.
        Assert.True(warm.Loss < cold.Loss - 0.1, $"warm start {warm.Loss:F4} not below the projection-only model {cold.Loss:F4}");
        Assert.Equal([0, 1], warm.History.Evaluations.Select(e => e.Step));
        Assert.Equal([1], cold.History.Evaluations.Select(e => e.Step));
        // A step at a negligible rate changes nothing: the two evaluations tie and the first (step 0) is kept.
        Assert.Equal(warm.History.Evaluations[0].Value, warm.History.Evaluations[1].Value, 6);
        Assert.Equal(0, warm.History.BestStep);
    }

    /// <summary>
    /// The refit after the kept step: the backbone and the kept step are those of a run without it, bit for bit, and
    /// only the aggregator and head move, towards the validation patients they now learn from too.
    /// </summary>
    [Fact]
    public void RefitOnAllPatientsMovesOnlyTheHeadAndLearnsTheValidationPatients()
    {
        var (patches, cohort) = Synthetic(14);
        using var _ = patches;
        var (train, validation) = (cohort.Select([.. Enumerable.Range(0, 10)]), cohort.Select([10, 11, 12, 13]));
        (Dictionary<string, Tensor> Weights, double ValidationLoss, int Kept, string Described) Run(bool refit)
        {
            var tiny = Tiny(FinetunePolicy.Discriminative, headSteps: 1, fullSteps: 2, new EndToEndConfig { PatientsPerBatch = 6, PatchesPerPatient = 4, RefitHeadOnAllPatients = refit });
            using var model = new EndToEndTrainer(tiny with { Optimisation = tiny.Optimisation with { EvaluateEvery = 1 } }, CPU, PipelineLog.Silent)
                .Train(PretrainedWeights.LoadImageNetResNet18(), train, validation);
            return (model.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone()), CohortLoss(model, validation), model.History!.BestStep, model.Describe());
        }
        var refit = Run(true);
        var kept = Run(false);
        output.WriteLine($"kept step {kept.Kept}; validation patients' Cox loss without the refit {kept.ValidationLoss:F4}, with it {refit.ValidationLoss:F4}");
        Assert.Equal(kept.Kept, refit.Kept);
        var moved = new List<string>();
        foreach (var (name, value) in kept.Weights)
            if (!value.equal(refit.Weights[name]).all().item<bool>()) moved.Add(name);
        Assert.NotEmpty(moved);
        Assert.All(moved, name => Assert.StartsWith("mil.", name));
        Assert.True(refit.ValidationLoss < kept.ValidationLoss, $"validation loss {kept.ValidationLoss:F4} → {refit.ValidationLoss:F4}");
        Assert.Contains("refit on every training patient", refit.Described);
        Assert.DoesNotContain("refit", kept.Described);
    }

    [Fact]
    public void SameSeedGivesBitIdenticalWeightsAndPredictions()
    {
        var (patches, cohort) = Synthetic(10);
        using var _ = patches;
        var (train, validation) = (cohort.Select([0, 1, 2, 3, 4, 5, 6, 7]), cohort.Select([8, 9]));
        var tiny = Tiny(FinetunePolicy.Gradual, 1, 5, new EndToEndConfig { PatientsPerBatch = 6, PatchesPerPatient = 4, AccumulationSteps = 2 });
        var config = tiny with { Optimisation = tiny.Optimisation with { Augment = "flips,hed:0.05" } };
        (Dictionary<string, Tensor> Weights, double[] Risks, double[] Probabilities) Run()
        {
            using var model = new EndToEndTrainer(config, CPU, PipelineLog.Silent).Train(PretrainedWeights.LoadImageNetResNet18(), train, validation);
            var predictions = model.Predict(cohort);
            return (model.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone()),
                predictions.Select(p => p.Risk).ToArray(), predictions.Select(p => p.EventProbability).ToArray());
        }
        var first = Run();
        var second = Run();
        Assert.Equal(first.Weights.Keys, second.Weights.Keys);
        foreach (var (name, value) in first.Weights)
            Assert.True(value.equal(second.Weights[name]).all().item<bool>(), $"{name} differs between two runs with the same seed");
        Assert.Equal(first.Risks, second.Risks);
        Assert.Equal(first.Probabilities, second.Probabilities);
    }

    [Fact]
    public void BadInputIsAClearUserError()
    {
        var (patches, cohort) = Synthetic(8, patchesPerPatient: 2);
        using var _ = patches;
        var trainer = new EndToEndTrainer(Tiny(FinetunePolicy.Frozen, 1, 0), CPU, PipelineLog.Silent);
        var noEvents = PatientPatches.Create(patches, cohort.PatientIds, cohort.Time, new bool[cohort.Count]);
        Assert.Contains("no events", Assert.Throws<UserInputException>(() => trainer.Train(PretrainedWeights.LoadImageNetResNet18(), noEvents, None(patches))).Message);
        var few = cohort.Select([0, 1, 2, 4]);
        Assert.Contains("4 training patients, fewer than the 6 patients per batch",
            Assert.Throws<UserInputException>(() => trainer.Train(PretrainedWeights.LoadImageNetResNet18(), few, None(patches))).Message);
        var ex = Assert.Throws<UserInputException>(() => PatientPatches.Create(patches, [.. cohort.PatientIds, "P99"], [.. cohort.Time, 5], [.. cohort.Event, true]));
        Assert.Contains("patient P99 has no patches", ex.Message);
        Assert.Contains("finetune.end_to_end.patients_per_batch must be ≥ 2",
            Assert.Throws<UserInputException>(() => new EndToEndTrainer(Tiny(FinetunePolicy.Frozen, 1, 0, new EndToEndConfig { PatientsPerBatch = 1 }), CPU, PipelineLog.Silent)
                .Train(PretrainedWeights.LoadImageNetResNet18(), cohort, None(patches))).Message);
    }

    [Fact]
    public void CliTrainsEndToEndAndPredictReadsTheModel()
    {
        var dir = TestPaths.NewTempDirectory();
        string cohort = Path.Combine(dir, "cohort.csv"), model = Path.Combine(dir, "model"), risks = Path.Combine(dir, "risks.csv");
        Assert.Equal(0, Studies.PrognosisPipelineTests.Run("simulate", "--patches", TestPaths.DemoLabels, "--seed", "3", "--out", cohort).Exit);
        var settings = Path.Combine(dir, "run.yaml");
        File.WriteAllText(settings, "finetune:\n  end_to_end: {patients_per_batch: 4, patches_per_patient: 4}\n");
        var (exit, stdout, error) = Studies.PrognosisPipelineTests.Run("train", "--end-to-end", "--config", settings, "--cohort", cohort, "--patches", TestPaths.DemoLabels,
            "--max-patients", "12", "--allow-missing", "--image-size", "32", "--clinical", "age", "--policy", "lora", "--lora-rank", "4", "--head-steps", "1", "--full-steps", "2", "--out", model);
        Assert.True(exit == 0, error);
        Assert.Contains("end-to-end lora/mean/cox: kept step", stdout);
        foreach (var file in new[] { "end-to-end.json", "model.safetensors", "config.json", "losses.csv", "run-config.yaml" }) Assert.True(File.Exists(Path.Combine(model, file)), file);
        // The folder is also a backbone: its fine-tuned weights, as the saved model holds them.
        using (var asBackbone = BackboneFactory.Create(model, seed: 1))
        {
            var (saved, _) = EndToEndModelFile.Load(model, CPU);
            using var __ = saved;
            foreach (var (name, value) in saved.Network.Backbone.state_dict())
                Assert.True(value.equal(asBackbone.state_dict()[name]).all().item<bool>(), name);
        }
        var card = EndToEndModelFile.Load(model, CPU);
        using (card.Model)
        {
            // The manifest's feature key is the key `extract --backbone MODEL_DIR` files its features under.
            var cache = Path.Combine(dir, "cache");
            (exit, _, error) = Studies.PrognosisPipelineTests.Run("extract", "--patches", TestPaths.DemoLabels, "--max-patients", "2", "--backbone", model,
                "--image-size", "32", "--feature-cache", cache);
            Assert.True(exit == 0, error);
            Assert.NotNull(card.Manifest.Features);
            Assert.EndsWith("_" + card.Manifest.Features!.Key, Assert.Single(Directory.GetDirectories(cache)));
            Assert.Contains("4 patients × ≤4 patches per micro-batch", card.Manifest.Description);
            Assert.Contains("Lora (rank 4, alpha 16, merged into the weights)", card.Manifest.Description);
            Assert.Contains("BatchNorm running statistics frozen", card.Manifest.Description);
        }
        Assert.Contains("patients_per_batch: 4", File.ReadAllText(Path.Combine(model, "run-config.yaml")));

        Assert.Equal("age", Assert.Single(card.Manifest.Clinical.Columns).Name);

        // Predict on patients without follow-up: the model fuses age, so a cohort without it is refused before anything is written.
        var bare = Path.Combine(dir, "bare.csv");
        var first = Cohort.Load(cohort, requireOutcome: true).Patients.Take(12).ToList();
        File.WriteAllLines(bare, ["patient_id", .. first.Select(p => p.PatientId)]);
        (exit, _, error) = Studies.PrognosisPipelineTests.Run("predict", "--model", model, "--cohort", bare, "--patches", TestPaths.DemoLabels, "--out", risks);
        Assert.Equal(2, exit);
        Assert.Contains("clinical column 'age' is missing", error);
        Assert.False(File.Exists(risks));
        File.WriteAllLines(bare, ["patient_id,age", .. first.Select(p => $"{p.PatientId},{p.Columns["age"]}")]);
        (exit, _, error) = Studies.PrognosisPipelineTests.Run("predict", "--model", model, "--cohort", bare, "--patches", TestPaths.DemoLabels, "--out", risks);
        Assert.True(exit == 0, error);
        var rows = CsvTable.Read(risks);
        // The Cox head's survival curve every 6 months follows p_event_5y; its last point is 1 − p_event_5y.
        Assert.Equal(["patient_id", "risk", "p_event_5y", "s_6m", "s_12m", "s_18m", "s_24m", "s_30m", "s_36m", "s_42m", "s_48m", "s_54m", "s_60m"], rows.Headers);
        Assert.Equal(12, rows.Rows.Count);
        Assert.All(Enumerable.Range(0, 12), r => Assert.InRange(rows.Number(r, 2), 0, 1));
        Assert.All(Enumerable.Range(0, 12), r => Assert.Equal(1 - rows.Number(r, 2), rows.Number(r, 12), 9));
        Assert.All(Enumerable.Range(0, 12), r => Assert.All(Enumerable.Range(4, 9), c => Assert.True(rows.Number(r, c) <= rows.Number(r, c - 1))));
        TestPaths.TryDelete(dir);
    }
}
