using HistoPrognosis.Features;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Tests.Models;
using HistoPrognosis.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Training;

[Collection(TorchCollection.Name)]
public sealed class LoraAdaptersTests
{
    private static float[] Features(Backbone backbone, Tensor x)
    {
        using var _ = no_grad();
        using var y = backbone.forward(x);
        return y.data<float>().ToArray();
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs(v)), worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= tolerance * scale, $"{what}: largest difference {worst:G3} against a largest feature of {scale:G3}");
    }

    /// <summary>
    /// The attached updates (each conv run with W + ΔW) and the kernels merged in place give the same features, also
    /// through BatchNorm folding and the ONNX export; afterwards the kernels are
    /// restored bit-exactly and the updates reattached.
    /// </summary>
    [Theory]
    [InlineData(18)]
    [InlineData(50)]
    public void AttachedAndMergedUpdatesAgreeThroughEveryEngineAndMergingIsUndoneExactly(int depth)
    {
        using var backbone = TestBackbones.WithNonTrivialStatistics(depth, seed: 4);
        backbone.eval();
        manual_seed(9);
        using var x = randn(2, 3, 64, 64);
        var plain = Features(backbone, x);
        var kernelsBefore = backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        using var lora = new LoraAdapters(backbone, new LoraConfig { Rank = 4, Alpha = 8 });
        int convolutions = backbone.modules().OfType<Conv2d>().Count();
        Assert.Equal(convolutions - 1, lora.Count); // all but the RGB stem
        // Freshly attached, the update is exactly zero: training starts from the pretrained network.
        Assert.Equal(plain, Features(backbone, x));

        using (no_grad())
            foreach (var (name, p) in lora.named_parameters())
                if (name.EndsWith(".up")) p.copy_(randn_like(p) * 0.05);
        var updated = Features(backbone, x);
        Assert.True(updated.Zip(plain).Max(p => Math.Abs(p.First - p.Second)) > 1e-2 * plain.Max(Math.Abs), "the updates changed nothing");

        using (lora.Merged())
        {
            AssertClose(updated, Features(backbone, x), 1e-4, "merged kernels");
            using (var torchSharp = FeatureEngine.Create(FeatureEngineKind.TorchSharp, backbone, CPU))
                AssertClose(updated, torchSharp.Run(x), 1e-4, "merged and BatchNorm folded");
            using (var onnx = FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, backbone, CPU))
                AssertClose(updated, onnx.Run(x), 1e-4, "merged and exported to ONNX Runtime");
        }
        foreach (var (name, value) in backbone.state_dict())
            Assert.True(value.equal(kernelsBefore[name]).all().item<bool>(), $"{name} not restored after merging");
        Assert.Equal(updated, Features(backbone, x));

        lora.MergeIntoBackbone();
        AssertClose(updated, Features(backbone, x), 1e-4, "merged for good");
        foreach (var t in kernelsBefore.Values) t.Dispose();
    }

    /// <summary>
    /// End to end under the lora policy: the backbone's own weights never train, so after the update is merged every
    /// kernel differs from the pretrained one by a matrix of rank ≤ r, and BatchNorm and the stem are untouched.
    /// </summary>
    [Fact]
    public void EndToEndLoraChangesEachKernelByALowRankUpdateOnly()
    {
        var (patches, cohort) = EndToEndTests.Synthetic(6);
        using var _ = patches;
        const int rank = 2;
        var tiny = EndToEndTests.Tiny(FinetunePolicy.Lora, 1, 3);
        var setup = tiny with { Optimisation = tiny.Optimisation with { Lora = new LoraConfig { Rank = rank, Alpha = 4 } } };
        var trainer = new HistoPrognosis.Training.EndToEnd.EndToEndTrainer(setup, CPU, PipelineLog.Silent);
        using var model = trainer.Initialise(PretrainedWeights.LoadImageNetResNet18(), cohort);
        Assert.NotNull(model.Network.Lora);
        var backbone = model.Network.Backbone;
        var before = backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var history = trainer.Train(model, cohort, EndToEndTests.None(patches));

        Assert.Equal(["head-only", "lora", "lora", "lora"], history.Losses.Select(l => l.Phase));
        Assert.Null(model.Network.Lora); // merged: a plain backbone, saved and exported as any other
        int lowRank = 0;
        foreach (var (name, value) in backbone.state_dict())
        {
            using var change = value - before[name];
            bool isLayerKernel = name.StartsWith("layer") && value.dim() == 4;
            if (!isLayerKernel)
            {
                Assert.True(value.equal(before[name]).all().item<bool>(), $"{name} changed, but only the adapters train");
                continue;
            }
            using var singular = linalg.svdvals(change.flatten(1));
            var s = singular.data<float>().ToArray();
            Assert.True(s[0] > 0, $"{name}: no update merged");
            Assert.True(s.Count(v => v > 1e-4 * s[0]) <= rank, $"{name}: update of rank {s.Count(v => v > 1e-4 * s[0])} > {rank}");
            lowRank++;
        }
        Assert.Equal(model.Network.Backbone.modules().OfType<Conv2d>().Count() - 1, lowRank);
        foreach (var t in before.Values) t.Dispose();
    }

    [Fact]
    public void BadSettingsAreNamed()
    {
        Assert.Contains("finetune.lora.rank", Assert.Throws<UserInputException>(() => new FinetuneConfig { Lora = new LoraConfig { Rank = 0 } }.Validate()).Message);
        Assert.Contains("finetune.lora.alpha", Assert.Throws<UserInputException>(() => new FinetuneConfig { Lora = new LoraConfig { Alpha = 0 } }.Validate()).Message);
        Assert.Contains("finetune.lora.dropout", Assert.Throws<UserInputException>(() => new FinetuneConfig { Lora = new LoraConfig { Dropout = 1 } }.Validate()).Message);
    }

    /// <summary>
    /// On a ViT (a timm fixture) the adapters sit on attention's qkv and proj (and with Mlp on fc1/fc2) as branches
    /// scale · up(down(x)); merged into the weights they give the same features, and unmerging restores the weights
    /// bit-exactly. Dropout acts only in training mode.
    /// </summary>
    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 4)]
    public void VitAdaptersSitOnAttentionAndMergeExactly(bool mlp, int perBlock)
    {
        using var vit = HistoPrognosis.Models.Vit.TimmFolder.Load(TestPaths.Fixture("vit", "token"));
        vit.eval();
        manual_seed(3);
        using var x = randn(2, 3, 32, 32);
        var plain = Features(vit, x);
        var before = vit.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var lora = new LoraAdapters(vit, new LoraConfig { Rank = 2, Alpha = 4, Dropout = 0.5, Mlp = mlp });
        lora.eval();
        Assert.Equal(vit.Architecture.Depth * perBlock, lora.Count);
        Assert.Equal(plain, Features(vit, x));
        using (no_grad())
            foreach (var (name, p) in lora.named_parameters())
                if (name.EndsWith(".up")) p.copy_(randn_like(p) * 0.1);
        var updated = Features(vit, x);
        Assert.True(updated.Zip(plain).Max(p => Math.Abs(p.First - p.Second)) > 1e-2 * plain.Max(Math.Abs), "the updates changed nothing");
        // Dropout on the branch input: training mode differs from evaluation, evaluation is deterministic.
        lora.train();
        Assert.NotEqual(updated, Features(vit, x));
        lora.eval();
        Assert.Equal(updated, Features(vit, x));
        using (lora.Merged()) AssertClose(updated, Features(vit, x), 1e-5, "merged ViT weights");
        foreach (var (name, value) in vit.state_dict())
            Assert.True(value.equal(before[name]).all().item<bool>(), $"{name} was not restored exactly");
        Assert.Equal(updated, Features(vit, x));
    }
}

