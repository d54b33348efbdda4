using HistoPrognosis.Models;
using HistoPrognosis.Models.Vit;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Models.Vit;

/// <summary>
/// Our VisionTransformer against the real timm: Fixtures/vit holds, per layout, a timm model folder with every
/// parameter randomised and timm's tokens and pooled features at the native size and at one other size (the
/// position embedding resampled), made by Fixtures/vit/make_vit_fixtures.py.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class VisionTransformerTests
{
    public static TheoryData<string> Layouts => new(["token", "avg-qknorm-layerscale", "reg-noembedclass-swiglupacked", "swiglu-prenorm-geglutanh", "dinov2-reg4"]);

    /// <summary>Largest absolute difference over the largest expected magnitude.</summary>
    private static double RelativeError(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        return (actual - expected).abs().max().item<float>() / Math.Max(1e-12, expected.abs().max().item<float>());
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void MatchesTimmAtTheNativeAndAnotherSize(string layout)
    {
        var folder = TestPaths.Fixture("vit", layout);
        Assert.True(TimmFolder.Recognises(folder));
        using var model = TimmFolder.Load(folder);
        model.eval();
        var expected = SafetensorsWeights.Read(Path.Combine(folder, "expected.safetensors"));
        using var noGrad = no_grad();
        foreach (var size in new[] { "native", "other" })
        {
            var input = expected[$"input_{size}"];
            using var tokens = model.ForwardFeatures(input);
            using var pooled = model.forward(input);
            Assert.InRange(RelativeError(tokens, expected[$"tokens_{size}"]), 0, 1e-4);
            Assert.InRange(RelativeError(pooled, expected[$"pooled_{size}"]), 0, 1e-4);
            Assert.Equal(expected[$"pooled_{size}"].shape[1], model.FeatureDimension);
        }
        foreach (var t in expected.Values) t.Dispose();
    }
}
