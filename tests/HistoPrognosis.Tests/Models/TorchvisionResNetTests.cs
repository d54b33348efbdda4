using HistoPrognosis.Models;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Models;

[Collection(TorchCollection.Name)]
public sealed class TorchvisionResNetTests
{
    [Theory]
    [InlineData(18, 120, 512)]
    [InlineData(34, 216, 512)]
    [InlineData(50, 318, 2048)]
    public void StateDictMatchesTorchvisionNamesWithoutTheClassifier(int depth, int keys, int features)
    {
        using var net = new TorchvisionResNet(depth);
        var names = net.state_dict().Keys.ToList();
        // torchvision's resnetNN().state_dict() has these many entries plus fc.weight and fc.bias.
        Assert.Equal(keys, names.Count);
        Assert.Contains("conv1.weight", names);
        Assert.Contains("bn1.num_batches_tracked", names);
        Assert.Contains("layer2.0.downsample.0.weight", names);
        Assert.Contains("layer4.1.bn2.running_var", names);
        Assert.Equal(features, net.FeatureDimension);
        using var scope = NewDisposeScope();
        net.eval();
        Assert.Equal(new long[] { 2, features }, net.forward(randn(2, 3, 64, 64)).shape);
    }

    [Fact]
    public void SafetensorsRoundTripAndArchitectureMismatchIsNamed()
    {
        var dir = TestPaths.NewTempDirectory();
        var file = Path.Combine(dir, "resnet18.safetensors");
        using var source = new TorchvisionResNet(18);
        source.InitialiseRandomly();
        SafetensorsWeights.Save(source, file);

        using var loaded = (TorchvisionResNet)BackboneFactory.Create($"resnet18:{file}", seed: 99);
        foreach (var (name, value) in source.state_dict())
            Assert.True(value.equal(loaded.state_dict()[name]).all().item<bool>(), name);

        var ex = Assert.Throws<UserInputException>(() => BackboneFactory.Create($"resnet34:{file}", seed: 1));
        Assert.Contains(file, ex.Message);
        Assert.Contains("missing", ex.Message);
        Assert.Contains("layer1.2.conv1.weight", ex.Message);

        var ex2 = Assert.Throws<UserInputException>(() => BackboneFactory.Create($"resnet50:{file}", seed: 1));
        Assert.Contains(file, ex2.Message);
        Assert.Throws<UserInputException>(() => BackboneFactory.Create($"resnet18:{Path.Combine(dir, "none.safetensors")}", seed: 1));
        Assert.Throws<UserInputException>(() => BackboneFactory.Create("vgg16", seed: 1));
    }
}
