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

    /// <summary>ImageNet's per-channel mean and standard deviation of RGB/255 (torchvision, and timm's default).</summary>
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f], ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>RGB bytes (N×3×H×W) → (RGB/255 − mean) / std per channel, float32: the input of torchvision and timm weights.</summary>
    public static Tensor Normalize(Tensor rgb, float[] mean, float[] std)
    {
        using var scope = NewDisposeScope();
        var m = tensor(mean, device: rgb.device).reshape(1, 3, 1, 1);
        var s = tensor(std, device: rgb.device).reshape(1, 3, 1, 1);
        return rgb.to_type(ScalarType.Float32).div_(HeldScalars.ByteMax).sub_(m).div_(s).MoveToOuterDisposeScope();
    }

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
