using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>
/// The CNTK ResNet18's expected input: BGR channel order, values 0–255, minus per-channel ImageNet means, no
/// division by a standard deviation.
/// </summary>
public static class BackbonePreprocessing
{
    /// <summary>Means in BGR order, as the CNTK model was trained.</summary>
    public static readonly float[] MeanBgr = [103.063f, 115.903f, 123.152f];

    /// <summary>RGB bytes (N×3×H×W, any numeric type, 0–255) → the backbone's input (float32, BGR, mean-subtracted).</summary>
    public static Tensor FromRgb(Tensor rgb)
    {
        if (rgb.dim() != 4 || rgb.shape[1] != 3) throw new ArgumentException($"expected N×3×H×W RGB, got [{string.Join(",", rgb.shape)}]");
        using var scope = NewDisposeScope();
        var bgr = rgb.to_type(ScalarType.Float32).flip(1);
        var mean = tensor(MeanBgr, device: rgb.device).reshape(1, 3, 1, 1);
        return bgr.sub_(mean).MoveToOuterDisposeScope();
    }
}
