using HistoPrognosis.Features;
using HistoPrognosis.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Features;

[Collection(TorchCollection.Name)]
public sealed class FeatureEngineTests
{
    [Fact]
    public void TheExportedImageNetGraphGivesTheShippedOnnxFilesFeatures()
    {
        // The independent reference: ONNX Runtime on the CNTK export as shipped (separate BatchNorm, its own graph),
        // against ONNX Runtime on the graph we write from the loaded TorchSharp weights.
        using var backbone = PretrainedWeights.LoadImageNetResNet18();
        backbone.eval();
        using var engine = FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, backbone, CPU);
        Assert.Equal(FeatureEngineKind.OnnxRuntime, engine.Kind);
        using var shipped = new InferenceSession(PretrainedWeights.DefaultOnnxPath);
        var inputName = shipped.InputMetadata.Keys.Single();
        const int n = OnnxParityCheck.ImageSize;
        foreach (var (name, bgr) in OnnxParityCheck.FixedInputs())
        {
            using var results = shipped.Run([NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(bgr, [1, 3, n, n]))]);
            var reference = results.First().AsEnumerable<float>().ToArray();
            float[] ours;
            using (var x = tensor(bgr, [1, 3, n, n])) ours = engine.Run(x);
            AssertClose(reference, ours, 1e-4, name);
        }
    }

    [Theory]
    [InlineData(18, 97)]
    [InlineData(50, 50)]
    public void OnnxRuntimeAndTorchSharpAgreeOnAnySizeAndArchitecture(int depth, int size)
    {
        using var backbone = HistoPrognosis.Tests.Models.TestBackbones.WithNonTrivialStatistics(depth, seed: depth + size);
        backbone.eval();
        using var x = backbone.Preprocess((rand(3, 3, size, size) * 255).to_type(ScalarType.Byte));
        float[] onnx, torch;
        using (var engine = FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, backbone, CPU)) onnx = engine.Run(x);
        using (var engine = FeatureEngine.Create(FeatureEngineKind.TorchSharp, backbone, CPU)) torch = engine.Run(x);
        Assert.Equal(3 * backbone.FeatureDimension, onnx.Length);
        AssertClose(torch, onnx, 1e-4, $"resnet{depth} at {size} px");
        // The engines leave the backbone as it was: the TorchSharp one unfolds its BatchNorm on dispose.
        Assert.All(backbone.modules().OfType<Conv2d>(), c => Assert.Null(c.bias));
    }

    [Fact]
    public void KeptSessionsGiveTheSameBytesAndOutliveTheirHandles()
    {
        using var backbone = PretrainedWeights.CreateScratch(seed: 4);
        backbone.eval();
        string hash = FeatureSettings.HashWeights(backbone);
        using var x = backbone.Preprocess((rand(2, 3, 40, 40) * 255).to_type(ScalarType.Byte));
        float[] fresh, first, second;
        using (var engine = FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, backbone, CPU)) fresh = engine.Run(x);
        using (var a = FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, backbone, CPU, hash))
        {
            first = a.Run(x);
            a.Dispose(); // twice: the second is a no-op, the session stays for the next handle
        }
        // Two other weights push this session out of the cache; a handle made after it is rebuilt still works.
        using var other1 = PretrainedWeights.CreateScratch(seed: 5);
        using var other2 = PretrainedWeights.CreateScratch(seed: 6);
        using (var b = FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, backbone, CPU, hash))
        {
            FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, other1, CPU, "other-1").Dispose();
            FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, other2, CPU, "other-2").Dispose();
            second = b.Run(x); // evicted meanwhile, still alive for its holder
        }
        Assert.Equal(fresh, first);
        Assert.Equal(fresh, second);
    }

    [Fact]
    public void AutoIsOnnxRuntimeOnTheCpuAndAnEngineThatCannotRunIsRefused()
    {
        using var backbone = PretrainedWeights.CreateScratch(seed: 3);
        Assert.Equal(FeatureEngineKind.OnnxRuntime, FeatureEngine.Resolve(FeatureEngineKind.Auto, backbone, CPU));
        Assert.Equal(FeatureEngineKind.TorchSharp, FeatureEngine.Resolve(FeatureEngineKind.TorchSharp, backbone, CPU));
        var cuda = new Device(TorchSharp.DeviceType.CUDA);
        Assert.Equal(FeatureEngineKind.TorchSharp, FeatureEngine.Resolve(FeatureEngineKind.Auto, backbone, cuda));
        var ex = Assert.Throws<UserInputException>(() => FeatureEngine.Resolve(FeatureEngineKind.OnnxRuntime, backbone, cuda));
        Assert.Contains("features.engine onnxruntime", ex.Message);
    }

    private static void AssertClose(float[] expected, float[] actual, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        Assert.True(scale > 1e-3, $"{what}: features unexpectedly near zero");
        double worst = expected.Zip(actual, (a, b) => Math.Abs((double)a - b)).Max();
        Assert.True(worst <= relative * scale, $"{what}: max |Δ| {worst} against max |feature| {scale}");
    }
}
