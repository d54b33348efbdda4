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

    /// <summary>What a user can get wrong in a model folder, named with the file and the key.</summary>
    [Fact]
    public void BadFoldersAreRefusedNamingTheFileAndTheKey()
    {
        var dir = TestPaths.NewTempDirectory();
        string Folder(string name, string config, byte[]? weights, string weightsName = "model.safetensors")
        {
            var folder = Directory.CreateDirectory(Path.Combine(dir, name)).FullName;
            File.WriteAllText(Path.Combine(folder, TimmFolder.ConfigFile), config);
            if (weights is not null) File.WriteAllBytes(Path.Combine(folder, weightsName), weights);
            return folder;
        }
        var config = File.ReadAllText(Path.Combine(TestPaths.Fixture("vit", "token"), TimmFolder.ConfigFile));
        var weights = File.ReadAllBytes(Path.Combine(TestPaths.Fixture("vit", "token"), "model.safetensors"));
        var foreign = File.ReadAllBytes(Path.Combine(TestPaths.Fixture("vit", "avg-qknorm-layerscale"), "model.safetensors"));
        string Error(string folder) => Assert.Throws<UserInputException>(() => BackboneFactory.Create(folder, 0)).Message;

        Assert.Contains("did you mean 'vit_small_patch16_224'", Error(Folder("unknown", config.Replace("vit_small_patch16_224", "vit_smal_patch16_224"), weights)));
        Assert.Contains("model_args.mlp_layer: layer 'timm.layers.FancyMlp'", Error(Folder("layer", config.Replace("\"depth\": 2", "\"depth\": 2, \"mlp_layer\": \"timm.layers.FancyMlp\""), weights)));
        var mismatch = Error(Folder("foreign", config, foreign));
        Assert.Contains("model.safetensors: does not match vit_small_patch16_224", mismatch);
        Assert.Contains("blocks.0.attn.q_norm.weight", mismatch);
        Assert.Contains("not a readable .safetensors file", Error(Folder("truncated", config, weights[..(weights.Length / 2)])));
        Assert.Contains("no weights (model.safetensors or pytorch_model.bin)", Error(Folder("none", config, null)));
        Assert.Contains("not a state dict — entry 'blocks' holds", Error(TestPaths.Fixture("vit", "not-a-state-dict")));
        Assert.Contains("but uni is a vit_large_patch16_224", Assert.Throws<UserInputException>(() => BackboneFactory.Create("uni:" + TestPaths.Fixture("vit", "token"), 0)).Message);
        TestPaths.TryDelete(dir);
    }
}
