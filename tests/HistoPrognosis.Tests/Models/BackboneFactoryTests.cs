using HistoPrognosis.IO;
using HistoPrognosis.Models;
using HistoPrognosis.Tests.Studies;
using TorchSharp.PyBridge;

namespace HistoPrognosis.Tests.Models;

[Collection(TorchCollection.Name)]
public sealed class BackboneFactoryTests
{
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
