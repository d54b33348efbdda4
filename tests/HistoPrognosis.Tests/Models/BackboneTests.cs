using HistoPrognosis.Models;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Models;

[Collection(TorchCollection.Name)]
public sealed class BackboneTests
{
    [Fact]
    public void PreprocessingIsBgrMinusCntkMeans()
    {
        using var scope = NewDisposeScope();
        // One pixel, RGB (255, 0, 10).
        var rgb = tensor(new byte[] { 255, 0, 10 }, [1, 3, 1, 1], dtype: ScalarType.Byte);
        var x = BackbonePreprocessing.FromRgb(rgb).data<float>().ToArray();
        Assert.Equal(10 - 103.063f, x[0], 4);  // B
        Assert.Equal(0 - 115.903f, x[1], 4);   // G
        Assert.Equal(255 - 123.152f, x[2], 4); // R
    }

    [Fact]
    public void TorchSharpModuleMatchesOnnxRuntime()
    {
        var report = OnnxParityCheck.Run();
        Assert.True(report.Cases.Count >= 4);
        Assert.All(report.Cases, c => Assert.True(c.ReferenceMaxAbs > 1, $"{c.Input}: features unexpectedly near zero"));
        Assert.True(report.MaxRel <= 1e-4, $"max_rel {report.MaxRel}");
        Assert.True(report.MaxRelElementwise <= 1e-3, $"element-wise max_rel {report.MaxRelElementwise}");
    }

    [Fact]
    public void AcceptsAnyBatchSizeAndSmallInputs()
    {
        using var scope = NewDisposeScope();
        using var backbone = PretrainedWeights.LoadImageNetResNet18();
        backbone.eval();
        using var noGrad = no_grad();
        Assert.Equal(new long[] { 3, 512 }, backbone.forward(randn(3, 3, 40, 56)).shape);
        Assert.Equal(new long[] { 1, 512 }, backbone.forward(randn(1, 3, 32, 32)).shape);
        Assert.Throws<ArgumentException>(() => backbone.forward(randn(1, 3, 31, 64)));
    }

    [Fact]
    public void ScratchTwinHasTheSameParametersButDifferentValues()
    {
        using var pretrained = PretrainedWeights.LoadImageNetResNet18();
        using var scratch = PretrainedWeights.CreateScratch(seed: 3);
        var a = pretrained.named_parameters().ToList();
        var b = scratch.named_parameters().ToList();
        Assert.Equal(a.Select(p => (p.name, string.Join("x", p.parameter.shape))), b.Select(p => (p.name, string.Join("x", p.parameter.shape))));
        Assert.Equal(22, a.Count(p => p.parameter.dim() == 4));
        Assert.False(a[0].parameter.allclose(b[0].parameter));
    }

    [Fact]
    public void MissingTruncatedOrForeignWeightsFailClearly()
    {
        var dir = TestPaths.NewTempDirectory();
        var missing = Path.Combine(dir, "nope.onnx");
        var ex1 = Assert.Throws<UserInputException>(() => PretrainedWeights.LoadImageNetResNet18(missing));
        Assert.Contains(missing, ex1.Message);

        var truncated = Path.Combine(dir, "truncated.onnx");
        var bytes = File.ReadAllBytes(PretrainedWeights.DefaultOnnxPath);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var ex2 = Assert.Throws<InvalidDataException>(() => PretrainedWeights.LoadImageNetResNet18(truncated));
        Assert.Contains(truncated, ex2.Message);

        // The preprocessing graph shipped in the same package: a valid ONNX file, but not a ResNet18.
        var foreign = Path.Combine(Path.GetDirectoryName(PretrainedWeights.DefaultOnnxPath)!, "..", "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        var ex3 = Assert.ThrowsAny<InvalidDataException>(() => PretrainedWeights.LoadImageNetResNet18(foreign));
        Assert.Contains("ResNetPreprocess.onnx", ex3.Message);

        var garbage = Path.Combine(dir, "garbage.onnx");
        File.WriteAllText(garbage, "this is not a model");
        Assert.ThrowsAny<InvalidDataException>(() => PretrainedWeights.LoadImageNetResNet18(garbage));
    }
}
