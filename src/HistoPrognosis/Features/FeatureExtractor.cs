using HistoPrognosis.Data;
using HistoPrognosis.Models;
using static TorchSharp.torch;

namespace HistoPrognosis.Features;

/// <summary>
/// Per-patch backbone features (N × D, float32) through a <see cref="FeatureEngine"/> (eval mode, no gradients,
/// BatchNorm folded). Inputs are contiguous NCHW: on an AVX-512 EPYC host LibTorch 2.10's channels-last convolutions
/// gave wrong outputs (ResNet18, max |Δ| 2.1 against features of 20) and a ResNet50 crashed with SIGFPE.
/// </summary>
public static class FeatureExtractor
{
    /// <param name="batchSize">Patches per forward pass; by default about 32 at 224 px (up to 128 for small patches).</param>
    public static float[][] Extract(FeatureEngine engine, Backbone backbone, PatchDataset data, Device device, PipelineLog log, string stage, int? batchSize = null)
    {
        // A fixed pixel budget per batch: 128 patches at 224 px hold ~0.4 GB per early activation, which costs more
        // in allocation (kernel time, peak RSS) than it gains in throughput.
        int batch = batchSize ?? Math.Clamp(32 * 224 * 224 / (data.ImageSize * data.ImageSize), 1, 128);
        int dimension = engine.Dimension;
        var features = new float[data.Count][];
        for (int start = 0; start < data.Count; start += batch)
        {
            int n = Math.Min(batch, data.Count - start);
            float[] f;
            using (var scope = NewDisposeScope())
            using (no_grad())
                f = engine.Run(backbone.Preprocess(data.Images.narrow(0, start, n).to(device)));
            for (int i = 0; i < n; i++) features[start + i] = f.AsSpan(i * dimension, dimension).ToArray();
            log.Progress(stage, start + n, data.Count, every: batch * 8);
        }
        return features;
    }
}
