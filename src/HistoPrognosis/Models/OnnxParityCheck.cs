using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>Features of one fixed input from ONNX Runtime (reference) and from the TorchSharp module.</summary>
/// <remarks>
/// <c>MaxRel</c> is max|Δ| relative to the largest reference feature (the vector's scale), since element-wise
/// ratios on near-zero ReLU averages only measure float32 rounding; <c>MaxRelElementwise</c> is the element-wise
/// ratio over features at least 1e-3 of the largest, reported for the strict reader.
/// </remarks>
public sealed record ParityCase(string Input, double MaxAbs, double MaxRel, double MaxRelElementwise, double ReferenceMaxAbs);

/// <summary>Outcome of comparing the TorchSharp backbone with ONNX Runtime on the same ONNX file.</summary>
public sealed record ParityReport(string OnnxPath, int ImageSize, IReadOnlyList<ParityCase> Cases)
{
    public double MaxAbs => Cases.Max(c => c.MaxAbs);
    public double MaxRel => Cases.Max(c => c.MaxRel);
    public double MaxRelElementwise => Cases.Max(c => c.MaxRelElementwise);
}

/// <summary>
/// Runs ONNX Runtime on the original ONNX file and our TorchSharp module on the same deterministic inputs and
/// compares the 512-d features: the independent check that the weights were mapped correctly.
/// </summary>
public static class OnnxParityCheck
{
    public const int ImageSize = 224; // the ONNX graph's fixed input size (its final pooling is 7×7)

    public static ParityReport Run(string? onnxPath = null, Device? device = null)
    {
        var path = onnxPath ?? PretrainedWeights.DefaultOnnxPath;
        device ??= CPU;
        using var backbone = PretrainedWeights.LoadImageNetResNet18(path);
        backbone.to(device);
        backbone.eval();
        using var session = new InferenceSession(path);
        var inputName = session.InputMetadata.Keys.Single();
        var cases = new List<ParityCase>();
        foreach (var (name, bgr) in FixedInputs())
        {
            var reference = RunOnnx(session, inputName, bgr);
            float[] ours;
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var x = tensor(bgr, [1, 3, ImageSize, ImageSize]).to(device);
                ours = backbone.forward(x).cpu().data<float>().ToArray();
            }
            cases.Add(Compare(name, reference, ours));
        }
        return new ParityReport(path, ImageSize, cases);
    }

    private static float[] RunOnnx(InferenceSession session, string inputName, float[] bgr)
    {
        var input = new DenseTensor<float>(bgr, [1, 3, ImageSize, ImageSize]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
        return results.First().AsEnumerable<float>().ToArray();
    }

    private static ParityCase Compare(string name, float[] reference, float[] ours)
    {
        if (reference.Length != CntkResNet18.Features || ours.Length != reference.Length)
            throw new InvalidDataException($"feature length mismatch: ONNX {reference.Length}, TorchSharp {ours.Length}");
        double refMax = reference.Max(v => Math.Abs((double)v));
        double maxAbs = 0, maxRelElementwise = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double diff = Math.Abs((double)ours[i] - reference[i]);
            maxAbs = Math.Max(maxAbs, diff);
            if (Math.Abs(reference[i]) >= 1e-3 * refMax) maxRelElementwise = Math.Max(maxRelElementwise, diff / Math.Abs(reference[i]));
        }
        return new ParityCase(name, maxAbs, maxAbs / refMax, maxRelElementwise, refMax);
    }

    /// <summary>Deterministic BGR, mean-subtracted inputs: smooth gradients, a checkerboard, seeded noise, a H&amp;E-like field.</summary>
    public static IEnumerable<(string Name, float[] Bgr)> FixedInputs()
    {
        const int n = ImageSize;
        yield return ("gradient", Make((c, y, x) => (x + y + 40 * c) % 256));
        yield return ("checkerboard", Make((c, y, x) => ((x / 16 + y / 16) % 2 == 0) ? 230 - 20 * c : 30 + 40 * c));
        var noise = new Random(20261127);
        yield return ("uniform-noise", Make((c, y, x) => noise.Next(256)));
        // Pink/purple blobs on a light background: roughly the colour statistics of H&E tissue.
        yield return ("he-like", Make((c, y, x) =>
        {
            double blob = Math.Sin(x * 0.11) * Math.Cos(y * 0.07) + Math.Sin((x + y) * 0.031);
            double[] tissue = [200, 110, 180]; // B, G, R
            double[] stroma = [215, 160, 230];
            return blob > 0.3 ? tissue[c] : stroma[c];
        }));

        static float[] Make(Func<int, int, int, double> bgr0To255)
        {
            var values = new float[3 * n * n];
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < n; y++)
                    for (int x = 0; x < n; x++)
                        values[(c * n + y) * n + x] = (float)(bgr0To255(c, y, x) - BackbonePreprocessing.MeanBgr[c]);
            return values;
        }
    }
}
