using System.Buffers;
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
        var (mean, std) = Statistics(target);
        TargetMean = mean;
        TargetStd = std;
    }

    /// <summary>Per-image statistics, measured in the same pass that converts the image to LAB.</summary>
    public RgbImage Transform(RgbImage image) => Map(image, null);

    public StainSource EstimateSource(RgbImage region)
    {
        var (mean, std) = Statistics(region);
        return new LabStatisticsSource(mean, std);
    }

    public RgbImage Transform(RgbImage image, StainSource source) => source is LabStatisticsSource s
        ? Map(image, s)
        : throw new ArgumentException($"{Method} needs LAB statistics as its source, got {source.GetType().Name}", nameof(source));

    // One pass to LAB (with the histograms when the statistics come from the image itself), one pass back through
    // the per-channel tables: no other per-pixel work.
    private RgbImage Map(RgbImage image, LabStatisticsSource? source)
    {
        if (TargetMean is null || TargetStd is null) throw new InvalidOperationException("reinhard: Fit or Load before Transform");
        var lab = ArrayPool<byte>.Shared.Rent(image.Pixels.Length);
        try
        {
            Span<int> histogram = stackalloc int[768];
            histogram.Clear();
            OpenCvLab.RgbToLab(image.Pixels, lab, source is null ? histogram : []);
            var (mean, std) = source is null ? Statistics(histogram, image.Width * image.Height) : (source.Mean, source.Std);
            // Each output LAB byte depends only on the input byte of its channel: one 256-entry table per channel.
            Span<byte> tables = stackalloc byte[3 * 256];
            for (int c = 0; c < 3; c++)
            {
                double gain = std[c] > 0 ? TargetStd[c] / std[c] : 0;
                for (int v = 0; v < 256; v++)
                {
                    // As TIAToolbox: float32 channel minus float64 (1×1) statistics, so float64 from here on.
                    double x = (Scaled(c, (byte)v) - mean[c]) * gain + TargetMean[c];
                    x = c == 0 ? x * 2.55 : x + 128.0;
                    tables[c * 256 + v] = x >= 255 ? (byte)255 : x <= 0 ? (byte)0 : (byte)x; // clip, then uint8 truncation
                }
            }
            var rgb = GC.AllocateUninitializedArray<byte>(image.Pixels.Length);
            OpenCvLab.LabToRgb(lab.AsSpan(0, rgb.Length), tables, rgb);
            return new RgbImage(image.Width, image.Height, rgb);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(lab);
        }
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

    /// <summary>TIAToolbox's float32 channel value for an 8-bit LAB byte: L/2.55, a−128, b−128.</summary>
    public static float Scaled(int channel, byte value) => channel == 0 ? value / 2.55f : value - 128f;

    /// <summary>Per-channel mean and population standard deviation (cv2.meanStdDev) of the scaled LAB values.</summary>
    public static (double[] Mean, double[] Std) Statistics(RgbImage image)
    {
        var lab = ArrayPool<byte>.Shared.Rent(image.Pixels.Length);
        try
        {
            var histogram = new int[768];
            OpenCvLab.RgbToLab(image.Pixels, lab.AsSpan(0, image.Pixels.Length), histogram);
            return Statistics(histogram, image.Width * image.Height);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(lab);
        }
    }

    // From per-channel histograms of the LAB bytes: the sums over pixels, grouped by value, in double.
    private static (double[] Mean, double[] Std) Statistics(ReadOnlySpan<int> histogram, int pixels)
    {
        double n = pixels;
        var mean = new double[3];
        var std = new double[3];
        for (int c = 0; c < 3; c++)
        {
            double sum = 0, sq = 0;
            for (int v = 0; v < 256; v++)
            {
                double x = Scaled(c, (byte)v), count = histogram[c * 256 + v];
                sum += count * x;
                sq += count * x * x;
            }
            mean[c] = sum / n;
            std[c] = Math.Sqrt(Math.Max(sq / n - mean[c] * mean[c], 0));
        }
        return (mean, std);
    }
}
