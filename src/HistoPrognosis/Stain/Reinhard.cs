using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>
/// Reinhard et al. (2001) colour transfer as TIAToolbox does it: per-channel mean and standard deviation matching
/// in OpenCV's 8-bit LAB (L/2.55, a−128, b−128), statistics over the whole image, population standard deviation.
/// </summary>
public sealed class Reinhard : IStainNormalizer
{
    public string Method => "reinhard";

    public double[]? TargetMean { get; private set; }
    public double[]? TargetStd { get; private set; }

    public bool IsFitted => TargetMean is not null;

    public void Fit(RgbImage target)
    {
        TissueMask.Compute(target); // a blank target would map every image to white
        var (mean, std) = Statistics(ToScaledLab(target));
        TargetMean = mean;
        TargetStd = std;
    }

    public RgbImage Transform(RgbImage image)
    {
        if (TargetMean is null || TargetStd is null) throw new InvalidOperationException("reinhard: Fit or Load before Transform");
        var lab = ToScaledLab(image);
        var (mean, std) = Statistics(lab);
        // Like TIAToolbox's float32 channels minus float64 (1×1) statistics: the arithmetic is float64.
        var gain = new double[3];
        for (int c = 0; c < 3; c++) gain[c] = std[c] > 0 ? TargetStd[c] / std[c] : 0;
        var bytes = new byte[lab.Length];
        for (int i = 0; i < lab.Length; i++)
        {
            int c = i % 3;
            double v = (lab[i] - mean[c]) * gain[c] + TargetMean[c];
            v = c == 0 ? v * 2.55 : v + 128.0;
            bytes[i] = v >= 255 ? (byte)255 : v <= 0 ? (byte)0 : (byte)v; // clip, then uint8 truncation
        }
        var rgb = new byte[bytes.Length];
        OpenCvLab.LabToRgb(bytes, rgb);
        return new RgbImage(image.Width, image.Height, rgb);
    }

    public StainFit ExportFit()
    {
        if (TargetMean is null || TargetStd is null) throw new InvalidOperationException("reinhard: not fitted");
        return new StainFit { Method = Method, LabMean = [.. TargetMean], LabStd = [.. TargetStd] };
    }

    public void Load(StainFit fit)
    {
        fit.RequireCompatible(Method, new Dictionary<string, double>());
        if (fit.LabMean is not { Length: 3 } mean || mean.Any(v => !double.IsFinite(v)))
            throw new UserInputException("field 'labMean' must be 3 numbers (L, a, b)");
        if (fit.LabStd is not { Length: 3 } std || std.Any(v => !double.IsFinite(v) || v < 0))
            throw new UserInputException("field 'labStd' must be 3 non-negative numbers (L, a, b)");
        TargetMean = [.. mean];
        TargetStd = [.. std];
    }

    /// <summary>OpenCV 8-bit LAB as float32: L/2.55, a−128, b−128 (TIAToolbox's lab_split).</summary>
    public static float[] ToScaledLab(RgbImage image)
    {
        var lab = new byte[image.Pixels.Length];
        OpenCvLab.RgbToLab(image.Pixels, lab);
        var scaled = new float[lab.Length];
        for (int i = 0; i < lab.Length; i += 3)
        {
            scaled[i] = lab[i] / 2.55f;
            scaled[i + 1] = lab[i + 1] - 128f;
            scaled[i + 2] = lab[i + 2] - 128f;
        }
        return scaled;
    }

    /// <summary>Per-channel mean and population standard deviation (cv2.meanStdDev), accumulated in double.</summary>
    public static (double[] Mean, double[] Std) Statistics(float[] lab)
    {
        var sum = new double[3];
        var sq = new double[3];
        for (int i = 0; i < lab.Length; i++)
        {
            double v = lab[i];
            sum[i % 3] += v;
            sq[i % 3] += v * v;
        }
        double n = lab.Length / 3;
        var mean = new double[3];
        var std = new double[3];
        for (int c = 0; c < 3; c++)
        {
            mean[c] = sum[c] / n;
            std[c] = Math.Sqrt(Math.Max(sq[c] / n - mean[c] * mean[c], 0));
        }
        return (mean, std);
    }
}
