using HistoPrognosis.Data;
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
    [Theory]
    [InlineData(FeatureEngineKind.OnnxRuntime)]
    [InlineData(FeatureEngineKind.OneDnn)]
    public void TheExportedImageNetGraphGivesTheShippedOnnxFilesFeatures(FeatureEngineKind kind)
    {
        // The independent reference: ONNX Runtime on the CNTK export as shipped (separate BatchNorm, its own graph),
        // against our engines on the graph we write from the loaded TorchSharp weights.
        using var backbone = PretrainedWeights.LoadImageNetResNet18();
        backbone.eval();
        using var engine = FeatureEngine.Create(kind, backbone, CPU);
        Assert.Equal(kind, engine.Kind);
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
    [InlineData(18, 32)] // a 1×1 last stage: the oneDNN engine's unfused Conv, Add, ReLU branch
    [InlineData(18, 17)]
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
        float[] onednn;
        using (var engine = FeatureEngine.Create(FeatureEngineKind.OneDnn, backbone, CPU)) onednn = engine.Run(x);
        AssertClose(torch, onednn, 1e-4, $"resnet{depth} at {size} px, oneDNN engine");
        // The engines leave the backbone as it was: the TorchSharp one unfolds its BatchNorm on dispose.
        Assert.All(backbone.modules().OfType<Conv2d>(), c => Assert.Null(c.bias));
    }

    /// <summary>
    /// The int8 engine (QDQ, per-channel weights, activations calibrated on two patients' IDC patches) against the float32
    /// ONNX Runtime engine on another patient's patches: the stated tolerance is a mean per-patch ‖Δ‖/‖f‖ of at most 0.10
    /// and max |Δ| of at most 0.20 of the largest feature (measured 6e-2 and 1.2e-1 at 96 px, bench/backbone/RESULTS.md).
    /// </summary>
    [Fact]
    public void Int8EngineStaysWithinItsStatedToleranceOfFloat32()
    {
        using var backbone = PretrainedWeights.LoadImageNetResNet18();
        backbone.eval();
        var table = PatchTable.Load(TestPaths.DemoLabels, requireLabel: true);
        var ids = table.PatientIds;
        using var calibrationData = PatchDataset.Load(table.Subset(ids.Take(2).ToList()).Patches.Where((_, i) => i % 5 == 0).Take(32).ToList(), 64, PipelineLog.Silent);
        using var testData = PatchDataset.Load(table.Subset([ids[^1]]).Patches.Take(24).ToList(), 64, PipelineLog.Silent);
        using var calibration = backbone.Preprocess(calibrationData.Images);
        using var test = backbone.Preprocess(testData.Images);
        float[] reference, quantized;
        using (var fp32 = FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, backbone, CPU)) reference = fp32.Run(test);
        using (var int8 = FeatureEngine.CreateInt8(backbone, calibration))
        {
            Assert.Equal(FeaturePrecision.Int8, int8.Precision);
            quantized = int8.Run(test);
        }
        Assert.Equal(reference.Length, quantized.Length);
        double scale = reference.Max(v => Math.Abs((double)v)), worst = 0, meanRelative = 0;
        int rows = reference.Length / backbone.FeatureDimension;
        for (int r = 0; r < rows; r++)
        {
            var f = reference.AsSpan(r * backbone.FeatureDimension, backbone.FeatureDimension);
            var q = quantized.AsSpan(r * backbone.FeatureDimension, backbone.FeatureDimension);
            double diff = 0, norm = 0;
            for (int k = 0; k < f.Length; k++)
            {
                worst = Math.Max(worst, Math.Abs(f[k] - q[k]));
                diff += (f[k] - q[k]) * (double)(f[k] - q[k]);
                norm += f[k] * (double)f[k];
            }
            meanRelative += Math.Sqrt(diff / norm) / rows;
        }
        Assert.True(meanRelative <= 0.10, $"int8 mean per-patch relative error {meanRelative:G3}");
        Assert.True(worst <= 0.20 * scale, $"int8 max |Δ| {worst:G3} against max |feature| {scale:G3}");
        Assert.True(worst > 1e-4 * scale, "int8 features equal float32's: the graph was not quantized");
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
    public void AutoIsOneDnnOnTheCpuAndTorchSharpOnCudaAndAnEngineThatCannotRunIsRefused()
    {
        using var backbone = PretrainedWeights.CreateScratch(seed: 3);
        Assert.Equal(FeatureEngineKind.OneDnn, FeatureEngine.Resolve(FeatureEngineKind.Auto, backbone, CPU));
        Assert.Equal(FeatureEngineKind.OnnxRuntime, FeatureEngine.Resolve(FeatureEngineKind.OnnxRuntime, backbone, CPU));
        Assert.Equal(FeatureEngineKind.TorchSharp, FeatureEngine.Resolve(FeatureEngineKind.TorchSharp, backbone, CPU));
        var cuda = new Device(TorchSharp.DeviceType.CUDA);
        Assert.Equal(FeatureEngineKind.TorchSharp, FeatureEngine.Resolve(FeatureEngineKind.Auto, backbone, cuda));
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
