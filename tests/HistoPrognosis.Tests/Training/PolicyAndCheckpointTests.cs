using HistoPrognosis.Data;
using HistoPrognosis.Models;
using HistoPrognosis.Training;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Training;

[Collection(TorchCollection.Name)]
public sealed class PolicyAndCheckpointTests
{
    private static readonly FinetuneConfig Tiny = new() { ImageSize = 32, BatchSize = 6, HeadOnlySteps = 2, FullSteps = 4, Augment = "flips" };

    private static PatchDataset SmallDataset()
    {
        var table = PatchTable.Load(TestPaths.DemoLabels, requireLabel: true);
        var patients = table.PatientIds.Take(4).ToList();
        return PatchDataset.Load(table.Subset(patients).Patches, 32, PipelineLog.Silent);
    }

    [Fact]
    public void EveryPolicySpendsTheSameBudgetAndGradualOpensDeepestFirst()
    {
        string[] stages = ["stem", "layer1", "layer2", "layer3", "layer4"];
        var config = new FinetuneConfig { HeadOnlySteps = 10, FullSteps = 90 };
        foreach (var policy in Enum.GetValues<FinetunePolicy>())
            Assert.Equal(100, PhasePlan.For(policy, config, stages).Sum(p => p.Steps));
        var gradual = PhasePlan.For(FinetunePolicy.Gradual, config, stages);
        Assert.Empty(gradual[0].TrainableStages);
        Assert.Equal(["layer4"], gradual[1].TrainableStages);
        Assert.Equal(["layer3", "layer4"], gradual[2].TrainableStages);
        Assert.Equal(stages, gradual[^1].TrainableStages);
    }

    [Fact]
    public void FrozenPolicyLeavesTheBackboneAndItsBatchNormStatisticsUntouched()
    {
        using var data = SmallDataset();
        using var model = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18());
        var before = model.Backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var headBefore = model.Head.weight!.clone();
        new PatchClassifierTrainer(Tiny, CPU, PipelineLog.Silent).Train(model, data, FinetunePolicy.Frozen, 1, new TrainingOptions(), "frozen");
        foreach (var (name, value) in model.Backbone.state_dict())
            Assert.True(value.equal(before[name]).all().item<bool>(), $"{name} changed under the frozen policy");
        Assert.False(model.Head.weight!.allclose(headBefore));
    }

    [Fact]
    public void DiscriminativePolicyTrainsEveryStage()
    {
        using var data = SmallDataset();
        using var model = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18());
        var before = model.Backbone.StageNames.ToDictionary(s => s, s => model.Backbone.StageParameters(s).First().clone());
        var history = new PatchClassifierTrainer(Tiny, CPU, PipelineLog.Silent).Train(model, data, FinetunePolicy.Discriminative, 1, new TrainingOptions(), "ft");
        Assert.Equal(6, history.Losses.Count);
        Assert.Equal(["head-only", "head-only", "all-layers", "all-layers", "all-layers", "all-layers"], history.Losses.Select(l => l.Phase));
        foreach (var stage in model.Backbone.StageNames)
            Assert.False(model.Backbone.StageParameters(stage).First().allclose(before[stage]), $"{stage} did not move");
    }

    [Theory]
    [InlineData(FinetunePolicy.Discriminative)]
    [InlineData(FinetunePolicy.Lora)] // the checkpoint also holds the adapters
    public void InterruptedRunResumesBitIdentically(FinetunePolicy policy)
    {
        using var data = SmallDataset();
        var dir = TestPaths.NewTempDirectory();
        int calls = 0;
        double[] scores = [0.5, 0.6, 0.55];
        var options = new TrainingOptions
        {
            Evaluate = _ => scores[calls++ % 3],
            EvaluateAtSteps = new HashSet<int> { 2, 4, 6 },
            EarlyStoppingPatience = 3,
            CheckpointDirectory = dir,
        };
        // Interrupted at the third evaluation (step 6): the checkpoint of step 4 holds weights, AdamW moments and state.
        manual_seed(3); // the head's initialisation
        using (var first = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18()))
            Assert.Throws<OperationCanceledException>(() => new PatchClassifierTrainer(Tiny, CPU, PipelineLog.Silent).Train(first, data, policy, 1,
                options with { Evaluate = _ => calls == 2 ? throw new OperationCanceledException("simulated interruption") : scores[calls++] }, "ft"));
        Assert.Equal(["best-000004.safetensors", "step-000004"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order());

        manual_seed(3);
        using var resumed = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18());
        var history = new PatchClassifierTrainer(Tiny, CPU, PipelineLog.Silent).Train(resumed, data, policy, 1,
            options with { Evaluate = _ => scores[2] }, "ft");

        calls = 0;
        manual_seed(3);
        using var reference = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18());
        var referenceDir = TestPaths.NewTempDirectory();
        var full = new PatchClassifierTrainer(Tiny, CPU, PipelineLog.Silent).Train(reference, data, policy, 1,
            options with { CheckpointDirectory = referenceDir }, "ft");
        Assert.Equal(full.Losses, history.Losses);
        Assert.Equal(full.Evaluations, history.Evaluations);
        Assert.Equal(4, history.BestStep); // the best (0.6) is restored at the end
        var expected = reference.state_dict();
        foreach (var (name, value) in resumed.state_dict())
            Assert.True(value.equal(expected[name]).all().item<bool>(), $"{name} differs after resuming");
        TestPaths.TryDelete(dir);
        TestPaths.TryDelete(referenceDir);
    }

    [Fact]
    public void CheckpointsOfOtherSettingsAreNeverResumed()
    {
        using var data = SmallDataset();
        var dir = TestPaths.NewTempDirectory();
        var options = new TrainingOptions { Evaluate = _ => 0.5, EvaluateAtSteps = new HashSet<int> { 2, 4, 6 }, CheckpointDirectory = dir };
        manual_seed(3);
        using (var first = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18()))
            new PatchClassifierTrainer(Tiny, CPU, PipelineLog.Silent).Train(first, data, FinetunePolicy.Discriminative, 1, options, "ft");
        // Another seed into the same folder: its checkpoints (a finished run of seed 1) must not be taken for its own.
        manual_seed(3);
        using var other = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18());
        var history = new PatchClassifierTrainer(Tiny, CPU, PipelineLog.Silent).Train(other, data, FinetunePolicy.Discriminative, 2, options, "ft");
        manual_seed(3);
        using var fresh = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18());
        var freshDir = TestPaths.NewTempDirectory();
        var expected = new PatchClassifierTrainer(Tiny, CPU, PipelineLog.Silent).Train(fresh, data, FinetunePolicy.Discriminative, 2, options with { CheckpointDirectory = freshDir }, "ft");
        Assert.Equal(expected.Losses, history.Losses);
        TestPaths.TryDelete(dir);
        TestPaths.TryDelete(freshDir);
    }

    [Fact]
    public void EarlyStoppingThatEndedARunIsNotUndoneByAResume()
    {
        using var data = SmallDataset();
        var dir = TestPaths.NewTempDirectory();
        var options = new TrainingOptions { Evaluate = _ => 0.5, EvaluateAtSteps = new HashSet<int> { 1, 2, 3 }, EarlyStoppingPatience = 2, CheckpointDirectory = dir };
        manual_seed(3);
        using (var first = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18()))
            Assert.Equal(3, new PatchClassifierTrainer(Tiny, CPU, PipelineLog.Silent).Train(first, data, FinetunePolicy.Discriminative, 1, options, "ft").Losses.Count);
        manual_seed(3);
        using var again = new PatchClassifier(PretrainedWeights.LoadImageNetResNet18());
        var history = new PatchClassifierTrainer(Tiny, CPU, PipelineLog.Silent).Train(again, data, FinetunePolicy.Discriminative, 1, options, "ft");
        Assert.Equal(3, history.Losses.Count);
        Assert.Equal(1, history.BestStep);
        TestPaths.TryDelete(dir);
    }
}
