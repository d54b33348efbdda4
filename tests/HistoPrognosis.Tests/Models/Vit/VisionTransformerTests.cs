using HistoPrognosis.Models;
using HistoPrognosis.Models.Vit;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Models.Vit;

/// <summary>
/// Our VisionTransformer against the real timm: Fixtures/vit holds, per layout, a timm model folder with every
/// parameter randomised and timm's tokens and pooled features at the native size and at one other size (the
/// position embedding resampled), made by Fixtures/vit/make_vit_fixtures.py; the hf-* folders are the same kind of
/// model in the Hugging Face transformers layout (ViTModel, Dinov2Model with SwiGLU), renamed as transformers'
/// conversion scripts rename timm weights, with transformers' position resampling at the other size.
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
    [InlineData("hf-vit")]
    [InlineData("hf-dinov2-swiglu")]
    public void MatchesTimmAtTheNativeAndAnotherSize(string layout)
    {
        var folder = TestPaths.Fixture("vit", layout);
        bool transformers = layout.StartsWith("hf-", StringComparison.Ordinal);
        Assert.Equal(!transformers, TimmFolder.Recognises(folder));
        Assert.Equal(transformers, TransformersFolder.Recognises(folder));
        using var model = (VisionTransformer)BackboneFactory.Create(folder, 0);
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

    /// <summary>
    /// The pooling override travels in the spec: cls+mean of the hf-vit fixture is its class token (the expected
    /// pooled feature) followed by the mean of its normed patch tokens; a CNN refuses it, and so does a bad name.
    /// </summary>
    [Fact]
    public void PoolSuffixOverridesTheModelsPooling()
    {
        var folder = TestPaths.Fixture("vit", "hf-vit");
        var expected = SafetensorsWeights.Read(Path.Combine(folder, "expected.safetensors"));
        var spec = BackboneFactory.WithPool(folder, VitPooling.ClsMean);
        Assert.Equal(folder + "#pool=cls+mean", spec);
        Assert.Equal(folder + "#pool=mean", BackboneFactory.WithPool(spec, VitPooling.Mean));
        using (var model = (VisionTransformer)BackboneFactory.Create(spec, 0))
        using (no_grad())
        {
            model.eval();
            Assert.Equal(96, model.FeatureDimension);
            using var pooled = model.forward(expected["input_native"]);
            var tokens = expected["tokens_native"];
            using var reference = cat([tokens[.., 0], tokens[.., 1..].mean([1])], 1);
            Assert.InRange(RelativeError(pooled, reference), 0, 1e-4);
        }
        Assert.Equal(spec, BackboneFactory.ResolvePaths(spec, "/elsewhere"));
        Assert.Contains("chooses a ViT's tokens", Assert.Throws<UserInputException>(() => BackboneFactory.Create("scratch#pool=mean", 0)).Message);
        Assert.Contains("pooling 'max' is not one of cls, mean, cls+mean", Assert.Throws<UserInputException>(() => BackboneFactory.Create(folder + "#pool=max", 0)).Message);
        Assert.Contains("needs a class token", Assert.Throws<UserInputException>(() =>
            BackboneFactory.Create(TestPaths.Fixture("vit", "avg-qknorm-layerscale") + "#pool=cls", 0)).Message);
        foreach (var t in expected.Values) t.Dispose();
    }

    /// <summary>The published Phikon presets read transformers folders and check the model's size against the card.</summary>
    [Fact]
    public void TransformersPresetsAndBadTransformersFolders()
    {
        Assert.Contains("but phikon is a hf-vit of width 768 with 12 blocks",
            Assert.Throws<UserInputException>(() => BackboneFactory.Create("phikon:" + TestPaths.Fixture("vit", "hf-vit"), 0)).Message);
        Assert.Contains("architecture 'hf-vit', but phikon-v2 is a hf-dinov2",
            Assert.Throws<UserInputException>(() => BackboneFactory.Create("phikon-v2:" + TestPaths.Fixture("vit", "hf-vit"), 0)).Message);

        var dir = TestPaths.NewTempDirectory();
        var source = TestPaths.Fixture("vit", "hf-vit");
        string Copy(string name, Func<string, string>? config = null, bool preprocessor = true, string? weightsFrom = null)
        {
            var folder = Directory.CreateDirectory(Path.Combine(dir, name)).FullName;
            File.WriteAllText(Path.Combine(folder, "config.json"), (config ?? (c => c))(File.ReadAllText(Path.Combine(source, "config.json"))));
            if (preprocessor) File.Copy(Path.Combine(source, "preprocessor_config.json"), Path.Combine(folder, "preprocessor_config.json"));
            var from = weightsFrom ?? Path.Combine(source, "model.safetensors");
            File.Copy(from, Path.Combine(folder, Path.GetFileName(from)));
            return folder;
        }
        string Error(string folder) => Assert.Throws<UserInputException>(() => BackboneFactory.Create(folder, 0)).Message;
        Assert.Contains("model_type 'swin' is not a transformers layout", Error(Copy("swin", c => c.Replace("\"vit\"", "\"swin\""))));
        Assert.Contains("no preprocessor_config.json", Error(Copy("nopre", preprocessor: false)));
        Assert.Contains("hidden_act 'relu6'", Error(Copy("act", c => c.Replace("\"gelu\"", "\"relu6\""))));
        // DINOv2 weights under a ViT config: the check names a missing and an unexpected tensor.
        var foreign = Error(Copy("foreign", weightsFrom: Path.Combine(TestPaths.Fixture("vit", "hf-dinov2-swiglu"), "pytorch_model.bin")));
        Assert.Contains("pytorch_model.bin: does not match hf-vit", foreign);
        Assert.Contains("unexpected 4 [", foreign);
        Assert.Contains("ls1.gamma", foreign); // layer_scale1.lambda1, named as the module names it
        TestPaths.TryDelete(dir);
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
