using HistoPrognosis.Models;
using HistoPrognosis.Models.Vit;
using HistoPrognosis.Training;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Training;

/// <summary>The seed's fine-tuning strategies on a ViT: layer-wise learning-rate decay, frozen first blocks, LoRA.</summary>
[Collection(TorchCollection.Name)]
public sealed class VitFinetuneTests
{
    private static string Token => TestPaths.Fixture("vit", "token");

    [Fact]
    public void LayerWiseDecayGivesBlockIOfDTheHeadRateTimesDecayToTheDMinusI()
    {
        using var vit = TimmFolder.Load(Token);
        using var head = nn.Linear(vit.FeatureDimension, 1);
        const double lr = 1e-3, decay = 0.75;
        var groups = ParameterGroups.Discriminative(vit, head.parameters(), lr, decay, 0.05, 0.05);
        int depth = vit.Architecture.Depth;
        double Rate(string stage) => groups.Single(g => g.Name == stage).LearningRate;
        for (int i = 0; i < depth; i++) Assert.Equal(lr * Math.Pow(decay, depth - i), Rate($"blocks.{i}"), 12);
        Assert.Equal(lr * Math.Pow(decay, depth + 1), Rate("embed"), 12);
        // Every backbone parameter is in exactly one group (the final norm with the last block).
        var grouped = groups.SelectMany(g => g.Parameters).ToList();
        Assert.Equal(vit.parameters().Count() + head.parameters().Count(), grouped.Count);
        Assert.Equal(grouped.Count, grouped.Distinct().Count());
        Assert.Equal(decay, new FinetuneConfig().DecayFor(vit));
        // timm's no_weight_decay: tokens and positions sit in the embed stage's group without decay, the patch kernel with it.
        var embedNoDecay = groups.Single(g => g.Name == "embed.norm_bias");
        Assert.Equal(0, embedNoDecay.WeightDecay);
        Assert.Equal(2, embedNoDecay.Parameters.Count(p => p.dim() == 3)); // cls_token and pos_embed (no registers in this layout)
        Assert.Single(groups.Single(g => g.Name == "embed").Parameters); // patch_embed.proj.weight alone decays
    }

    [Fact]
    public void FreezeFirstKeepsTheInputSideStagesOutOfEveryPhase()
    {
        string[] stages = ["embed", "blocks.0", "blocks.1", "blocks.2"];
        var config = new FinetuneConfig { HeadOnlySteps = 1, FullSteps = 4, FreezeFirst = 2 };
        Assert.Equal(["blocks.1", "blocks.2"], PhasePlan.For(FinetunePolicy.Discriminative, config, stages)[^1].TrainableStages);
        var gradual = PhasePlan.For(FinetunePolicy.Gradual, config, stages);
        Assert.DoesNotContain(gradual, p => p.TrainableStages.Contains("embed") || p.TrainableStages.Contains("blocks.0"));
        Assert.Equal(5, gradual.Sum(p => p.Steps));
        Assert.Contains("freeze_first", Assert.Throws<UserInputException>(() => PhasePlan.For(FinetunePolicy.Discriminative, config with { FreezeFirst = 4 }, stages)).Message);
    }

    /// <summary>
    /// histoprog finetune on IDC patches from a timm folder: with the first stage frozen its embedding is saved
    /// unchanged and the blocks move; under LoRA only attention's weights move, each by an update of rank ≤ r. Both
    /// outputs extract features as backbones.
    /// </summary>
    [Fact]
    public void FinetuneOnPatchesWithDecayAndWithLora()
    {
        var dir = TestPaths.NewTempDirectory();
        var baseWeights = SafetensorsWeights.Read(Path.Combine(Token, "model.safetensors"));
        string[] common = ["finetune", "--patches", TestPaths.DemoLabels, "--backbone", Token, "--image-size", "32", "--max-patients", "6", "--head-steps", "2", "--full-steps", "4"];
        string decayOut = Path.Combine(dir, "decay"), loraOut = Path.Combine(dir, "lora");
        // A plan the backbone cannot follow fails before the output folder exists.
        var refused = HistoprogProcess.Run([.. common, "--freeze-first", "3", "--out", decayOut]);
        Assert.Equal(2, refused.Code);
        Assert.Contains("finetune.freeze_first 3 would freeze every stage", refused.Err);
        Assert.False(Directory.Exists(decayOut));
        var run = HistoprogProcess.Run([.. common, "--freeze-first", "1", "--out", decayOut]);
        Assert.True(run.Code == 0, run.Err);
        run = HistoprogProcess.Run([.. common, "--policy", "lora", "--lora-rank", "2", "--out", loraOut]);
        Assert.True(run.Code == 0, run.Err);

        static Dictionary<string, Tensor> Backbone(string folder) =>
            SafetensorsWeights.Read(Path.Combine(folder, "model.safetensors")).Where(kv => kv.Key.StartsWith("backbone.")).ToDictionary(kv => kv.Key["backbone.".Length..], kv => kv.Value);
        var decayed = Backbone(decayOut);
        Assert.Equal(baseWeights.Keys.Order(), decayed.Keys.Order());
        foreach (var key in new[] { "pos_embed", "cls_token", "patch_embed.proj.weight" }) Assert.True(decayed[key].equal(baseWeights[key]).all().item<bool>(), $"{key} is frozen but changed");
        Assert.False(decayed["blocks.1.attn.qkv.weight"].equal(baseWeights["blocks.1.attn.qkv.weight"]).all().item<bool>(), "the last block did not train");

        var lora = Backbone(loraOut);
        foreach (var (key, value) in lora)
        {
            bool adapted = key.EndsWith("attn.qkv.weight") || key.EndsWith("attn.proj.weight");
            if (!adapted) { Assert.True(value.equal(baseWeights[key]).all().item<bool>(), $"{key} has no adapter but changed"); continue; }
            var update = (value - baseWeights[key]).to_type(ScalarType.Float64);
            Assert.True(update.abs().max().item<double>() > 0, $"{key}: the adapter did not train");
            Assert.InRange((long)linalg.matrix_rank(update, atol: 1e-6).item<long>(), 1, 2);
        }
        foreach (var folder in new[] { decayOut, loraOut })
        {
            run = HistoprogProcess.Run("extract", "--patches", TestPaths.DemoLabels, "--backbone", folder, "--image-size", "32", "--max-patients", "2",
                "--feature-cache", Path.Combine(dir, "cache"));
            Assert.True(run.Code == 0, run.Err);
            Assert.Contains("2 extracted", run.Out + run.Err);
        }
        TestPaths.TryDelete(dir);
    }
}
