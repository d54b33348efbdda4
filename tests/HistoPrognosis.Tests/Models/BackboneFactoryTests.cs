using HistoPrognosis.IO;
using HistoPrognosis.Models;
using HistoPrognosis.Tests.Studies;
using TorchSharp.PyBridge;

namespace HistoPrognosis.Tests.Models;

[Collection(TorchCollection.Name)]
public sealed class BackboneFactoryTests
{
    /// <summary>
    /// The from-scratch baseline of a transfer comparison is the pretrained spec's architecture with fresh weights:
    /// a ViT keeps its architecture and pooling (feature width), loses every pretrained tensor, and is seeded.
    /// </summary>
    [Fact]
    public void ScratchTwinKeepsTheArchitectureAndDropsTheWeights()
    {
        var folder = TestPaths.Fixture("vit", "hf-vit");
        using var pretrained = (HistoPrognosis.Models.Vit.VisionTransformer)BackboneFactory.Create(folder + "#pool=cls+mean", 1);
        using var twin = (HistoPrognosis.Models.Vit.VisionTransformer)BackboneFactory.CreateScratchTwin(folder + "#pool=cls+mean", 1);
        using var again = BackboneFactory.CreateScratchTwin(folder + "#pool=cls+mean", 1);
        Assert.Equal(pretrained.Architecture, twin.Architecture);
        Assert.Equal(pretrained.FeatureDimension, twin.FeatureDimension);
        var (p, t, a) = (pretrained.state_dict(), twin.state_dict(), again.state_dict());
        Assert.Equal(p.Keys.Order(), t.Keys.Order());
        foreach (var name in p.Keys.Where(k => k.EndsWith(".weight") && !k.Contains("norm")))
            Assert.False(p[name].allclose(t[name]), name);
        foreach (var name in t.Keys) Assert.True(t[name].equal(a[name]).all().item<bool>(), name);
        // Layer norms start as the identity, as a fresh timm model's do.
        Assert.True(t["blocks.0.norm1.weight"].eq(1).all().item<bool>());
        Assert.IsType<CntkResNet18>(BackboneFactory.CreateScratchTwin(BackboneFactory.ImageNet, 1));
        Assert.IsType<TorchvisionResNet>(BackboneFactory.CreateScratchTwin("resnet34", 1));
    }

    [Fact]
    public void AFinetuneOutputFolderIsABackbone()
    {
        var dir = TestPaths.NewTempDirectory();
        var run = Path.Combine(dir, "ft");
        var (exit, _, error) = PrognosisPipelineTests.Run("finetune", "--patches", TestPaths.DemoLabels, "--backbone", "scratch", "--policy", "scratch",
            "--head-steps", "0", "--full-steps", "2", "--batch", "4", "--image-size", "32", "--out", run);
        Assert.True(exit == 0, error);

        using var backbone = BackboneFactory.Create(run, seed: 99);
        Assert.IsType<CntkResNet18>(backbone);
        Assert.True(BackboneFactory.IsPretrained(run));
        // Every backbone tensor is the file's backbone.* tensor, read independently of the loader.
        var file = Safetensors.LoadStateDict(Path.Combine(run, "model.safetensors"));
        var state = backbone.state_dict();
        Assert.Equal(file.Keys.Where(k => k.StartsWith("backbone.")).Select(k => k["backbone.".Length..]).Order(), state.Keys.Order());
        foreach (var (name, value) in state) Assert.True(value.equal(file["backbone." + name]).all().item<bool>(), name);
        using var random = BackboneFactory.Create(BackboneFactory.Scratch, seed: 99);
        Assert.False(random.state_dict()["layer4.0.conv1.weight"].allclose(state["layer4.0.conv1.weight"]));

        // The fine-tuned backbone feeds feature extraction like any other.
        (exit, var output, error) = PrognosisPipelineTests.Run("extract", "--patches", TestPaths.DemoLabels, "--backbone", run, "--image-size", "32", "--feature-cache", Path.Combine(dir, "cache"));
        Assert.True(exit == 0, error);
        Assert.Contains("extracted", output);

        var empty = Directory.CreateDirectory(Path.Combine(dir, "empty")).FullName;
        Assert.Contains("config.json and model.safetensors", Assert.Throws<UserInputException>(() => BackboneFactory.Create(empty, 1)).Message);
        File.WriteAllText(Path.Combine(run, "config.json"), "{\"policy\": \"scratch\"}");
        Assert.Contains("'backbone'", Assert.Throws<UserInputException>(() => BackboneFactory.Create(run, 1)).Message);
        TestPaths.TryDelete(dir);
    }
}
