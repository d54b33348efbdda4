using System.Diagnostics;
using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Models;
using HistoPrognosis.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Bench;

/// <summary>
/// Patches per second of the pretrained ResNet18 for feature extraction (224 and 96 px) and for one full AdamW
/// fine-tuning step (96 px, batch 64), timed with a stopwatch after warm-up; `bench/backbone/peer.py` times the same
/// architecture in PyTorch so the two can be run side by side (`bench/backbone/run.sh`).
/// </summary>
public static class BackboneThroughput
{
    public static void Run(TextWriter output, string deviceName)
    {
        var device = ComputeDevice.Resolve(HistoPrognosis.Configuration.ConfigNames.Parse<ComputeDeviceKind>(deviceName, "--device"));
        using var backbone = PretrainedWeights.LoadImageNetResNet18();
        backbone.to(device);
        output.WriteLine($"threads {get_num_threads()}, device {deviceName}");
        foreach (var (size, batch) in new[] { (224, 32), (96, 64) })
        {
            var engine = FeatureEngine.Resolve(FeatureEngineKind.Auto, backbone, device);
            output.WriteLine($"extract {size}px batch {batch}: {Extract(backbone, size, batch, device, engine):F1} patches/s (the default engine, {ConfigNames.Value(engine)}, fp32)");
            // The other fp32 engines, each on its own line (the CPU-only ones only on the CPU).
            foreach (var other in new[] { FeatureEngineKind.OnnxRuntime, FeatureEngineKind.OneDnn, FeatureEngineKind.TorchSharp })
                if (other != engine && (other == FeatureEngineKind.TorchSharp || device.type == TorchSharp.DeviceType.CPU))
                    output.WriteLine($"extract {size}px batch {batch} [{ConfigNames.Value(other)}{(other == FeatureEngineKind.TorchSharp ? ", BatchNorm folded" : "")}]: {Extract(backbone, size, batch, device, other):F1} patches/s");
            output.WriteLine($"extract {size}px batch {batch} [plain module: separate BatchNorm, NCHW]: {Extract(backbone, size, batch, device, null):F1} patches/s");
        }
        if (device.type == TorchSharp.DeviceType.CPU)
            foreach (var (size, batch) in new[] { (224, 32), (96, 64) })
            {
                var (rate, maxRel, meanRel) = ExtractInt8(backbone, size, batch);
                output.WriteLine($"extract {size}px batch {batch} [int8 onnxruntime QDQ, max rel err {maxRel:0.0e+0}, mean per-patch rel err {meanRel:0.0e+0}]: {rate:F1} patches/s");
            }
        backbone.eval();
        var startup = Stopwatch.StartNew();
        for (int i = 0; i < 3; i++) FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, backbone, CPU).Dispose();
        output.WriteLine($"onnxruntime engine start-up (graph export + session), fixed cost per extraction: {startup.Elapsed.TotalSeconds / 3:F2} s");
        using var model = new PatchClassifier(backbone);
        output.WriteLine($"train step 96px batch 64: {TrainStep(model, 96, 64, device, fused: true):F1} patches/s (fused AdamW, torch._fused_adamw_, as the trainers step)");
        output.WriteLine($"train step 96px batch 64 [TorchSharp AdamW.step]: {TrainStep(model, 96, 64, device, fused: false):F1} patches/s");
    }

    /// <summary>Patches/s through a feature engine (as FeatureExtractor runs it), or the plain module when <paramref name="engine"/> is null.</summary>
    private static double Extract(Backbone backbone, int size, int batch, Device device, FeatureEngineKind? engine)
    {
        backbone.eval();
        using var noGrad = no_grad();
        using var input = randn(batch, 3, size, size, device: device); // contiguous NCHW, as FeatureExtractor feeds it
        if (engine is null) return Time(() => backbone.forward(input).Dispose(), batch, device);
        using var run = FeatureEngine.Create(engine.Value, backbone, device);
        return Time(() => run.Run(input), batch, device);
    }

    /// <summary>
    /// Patches/s of the int8 engine calibrated on 64 IDC patches of the demo set (the first patients), and its features'
    /// deviation from the float32 ONNX Runtime engine on 64 patches of other patients: max |Δ| / max |feature| (the peer's
    /// bf16 measure) and the mean over patches of ‖Δ‖ / ‖feature‖.
    /// </summary>
    internal static (double Rate, double MaxRelative, double MeanRelative) ExtractInt8(Backbone backbone, int size, int batch)
    {
        backbone.eval();
        var table = PatchTable.Load(Path.Combine("data", "idc-demo", "labels.csv"), requireLabel: false);
        var patches = table.Patches.OrderBy(p => p.PatientId, StringComparer.Ordinal).ThenBy(p => p.Path, StringComparer.Ordinal).ToList();
        var calibrationPatients = patches.Select(p => p.PatientId).Distinct().Take(3).ToHashSet();
        var calibrationRecords = patches.Where(p => calibrationPatients.Contains(p.PatientId)).Where((_, i) => i % 4 == 0).Take(64).ToList();
        var heldOut = patches.Where(p => !calibrationPatients.Contains(p.PatientId)).Where((_, i) => i % 7 == 0).Take(64).ToList();
        using var calibrationData = PatchDataset.Load(calibrationRecords, size, PipelineLog.Silent);
        using var heldOutData = PatchDataset.Load(heldOut, size, PipelineLog.Silent);
        using var calibration = backbone.Preprocess(calibrationData.Images);
        using var test = backbone.Preprocess(heldOutData.Images);
        using var int8 = FeatureEngine.CreateInt8(backbone, calibration);
        float[] reference;
        using (var fp32 = FeatureEngine.Create(FeatureEngineKind.OnnxRuntime, backbone, CPU)) reference = fp32.Run(test);
        var quantized = int8.Run(test);
        var (maxRel, meanRel) = Deviation(reference, quantized, backbone.FeatureDimension);
        using var input = randn(batch, 3, size, size);
        return (Time(() => int8.Run(input), batch, CPU), maxRel, meanRel);
    }

    internal static (double MaxRelative, double MeanRelative) Deviation(float[] reference, float[] other, int dimension)
    {
        double scale = reference.Max(v => Math.Abs((double)v)), worst = 0, sum = 0;
        int rows = reference.Length / dimension;
        for (int r = 0; r < rows; r++)
        {
            double diff = 0, norm = 0;
            for (int k = r * dimension; k < (r + 1) * dimension; k++)
            {
                double d = reference[k] - other[k];
                worst = Math.Max(worst, Math.Abs(d));
                diff += d * d;
                norm += (double)reference[k] * reference[k];
            }
            sum += Math.Sqrt(diff / Math.Max(norm, 1e-30));
        }
        return (worst / scale, sum / rows);
    }

    private static double TrainStep(PatchClassifier model, int size, int batch, Device device, bool fused)
    {
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-4);
        using var input = randn(batch, 3, size, size, device: device);
        using var target = randint(0, 2, [batch], device: device).to_type(ScalarType.Float32);
        return Time(() =>
        {
            using var scope = NewDisposeScope();
            var loss = nn.functional.binary_cross_entropy_with_logits(model.forward(input), target);
            optimizer.zero_grad();
            loss.backward();
            if (fused) FusedAdamW.Step(optimizer);
            else optimizer.step();
        }, batch, device);
    }

    /// <summary>Patches/s of a step after two warm-up steps, over at least 8 s and 3 steps (the peers time the same way).</summary>
    internal static double Time(Action step, int batch, Device device)
    {
        for (int i = 0; i < 2; i++) step();
        if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize();
        var clock = Stopwatch.StartNew();
        int iterations = 0;
        while (clock.Elapsed.TotalSeconds < 8 || iterations < 3)
        {
            step();
            iterations++;
        }
        if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize();
        return iterations * batch / clock.Elapsed.TotalSeconds;
    }
}
