using HistoPrognosis.Features;
using HistoPrognosis.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Models;

[Collection(TorchCollection.Name)]
public sealed class BatchNormFoldingTests
{
    [Fact]
    public void FoldedImageNetResNet18GivesTheSameFeaturesAndRestoresItsWeights()
    {
        using var backbone = PretrainedWeights.LoadImageNetResNet18();
        AssertFoldingIsExact(backbone, size: 64, parameterCount: 22 * 3);
    }

    [Fact]
    public void FoldsTorchvisionBottlenecksWithNonTrivialStatistics()
    {
        using var backbone = TestBackbones.WithNonTrivialStatistics(50, seed: 5);
        AssertFoldingIsExact(backbone, size: 48, parameterCount: backbone.parameters().Count());
    }

    [Fact]
    public void FoldingIsForInferenceOnly()
    {
        using var backbone = PretrainedWeights.CreateScratch(seed: 1);
        backbone.train();
        Assert.Throws<InvalidOperationException>(() => BatchNormFolding.Fold(backbone));
        backbone.eval();
        using var folded = BatchNormFolding.Fold(backbone);
        backbone.train();
        using var scope = NewDisposeScope();
        Assert.Throws<InvalidOperationException>(() => backbone.forward(randn(2, 3, 32, 32)));
    }

    private static void AssertFoldingIsExact(Backbone backbone, int size, int parameterCount)
    {
        backbone.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var keys = backbone.state_dict().Keys.ToList();
        string hash = FeatureSettings.HashWeights(backbone);
        Assert.Equal(parameterCount, backbone.parameters().Count());
        manual_seed(11);
        var x = randn(4, 3, size, size) * 50;
        var reference = backbone.forward(x).data<float>().ToArray();
        float[] folded;
        using (BatchNormFolding.Fold(backbone))
        {
            Assert.All(backbone.modules().OfType<Conv2d>(), c => Assert.NotNull(c.bias));
            folded = backbone.forward(x).data<float>().ToArray();
        }
        double scale = reference.Max(v => Math.Abs(v));
        Assert.True(scale > 1e-3, "features unexpectedly near zero");
        double worst = reference.Zip(folded, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-4 * scale, $"max |folded − separate| {worst} against max |feature| {scale}");
        // The product path end to end (FeatureExtractor: uint8 patches, preprocessing, folding) against the plain
        // module, through both engines (ONNX Runtime runs a graph written from these weights).
        var rgb = (rand(3, 3, size, size) * 255).to_type(ScalarType.Byte);
        var expected = backbone.forward(backbone.Preprocess(rgb)).data<float>().ToArray();
        using var data = HistoPrognosis.Data.PatchDataset.FromTensor(rgb);
        foreach (var kind in new[] { FeatureEngineKind.TorchSharp, FeatureEngineKind.OnnxRuntime })
        {
            float[] extracted;
            using (var engine = FeatureEngine.Create(kind, backbone, CPU))
                extracted = FeatureExtractor.Extract(engine, backbone, data, CPU, PipelineLog.Silent, "test").SelectMany(f => f).ToArray();
            worst = expected.Zip(extracted, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1e-4 * expected.Max(v => Math.Abs(v)), $"max |FeatureExtractor ({kind}) − plain module| {worst}");
        }
        backbone.eval();
        // Outside the scope the backbone is the one it was: same keys, same values, no convolution bias.
        Assert.Equal(keys, backbone.state_dict().Keys.ToList());
        Assert.Equal(hash, FeatureSettings.HashWeights(backbone));
        Assert.All(backbone.modules().OfType<Conv2d>(), c => Assert.Null(c.bias));
    }
}
