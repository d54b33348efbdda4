using HistoPrognosis.Data;
using HistoPrognosis.Models;
using static TorchSharp.torch;

namespace HistoPrognosis.Features;

/// <summary>Per-patch backbone features (N × 512, float32), computed in eval mode without gradients, BatchNorm folded, channels-last.</summary>
public static class FeatureExtractor
{
    public static float[][] Extract(Backbone backbone, PatchDataset data, Device device, PipelineLog log, string stage, int batchSize = 128)
    {
        backbone.eval();
        using var folded = BatchNormFolding.Fold(backbone);
        var features = new float[data.Count][];
        using var noGrad = no_grad();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batchSize, data.Count - start);
            var x = Backbone.ChannelsLast(backbone.Preprocess(data.Images.narrow(0, start, n).to(device)));
            var f = backbone.forward(x).cpu().contiguous().data<float>().ToArray();
            for (int i = 0; i < n; i++) features[start + i] = f.AsSpan(i * backbone.FeatureDimension, backbone.FeatureDimension).ToArray();
            log.Progress(stage, start + n, data.Count, every: batchSize * 8);
        }
        return features;
    }
}
