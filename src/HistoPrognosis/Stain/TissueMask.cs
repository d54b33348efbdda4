using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>
/// TIAToolbox's luminosity tissue mask: stretch the 2nd–98th percentile (all channels pooled) to 0..255, truncate
/// to bytes, take OpenCV's 8-bit LAB lightness, and call a pixel tissue where L/255 &lt; threshold.
/// </summary>
public static class TissueMask
{
    public const double DefaultThreshold = 0.8;

    /// <summary>One flag per pixel; throws <see cref="UserInputException"/> when no pixel is tissue.</summary>
    public static bool[] Compute(RgbImage image, double threshold = DefaultThreshold)
    {
        var lut = ContrastStretch(image.Pixels);
        var tissueLightness = new bool[256];
        for (int l = 0; l < 256; l++) tissueLightness[l] = l / 255.0 < threshold;
        var px = image.Pixels;
        var mask = new bool[image.Width * image.Height];
        int count = 0;
        for (int p = 0; p < mask.Length; p++)
            if (mask[p] = tissueLightness[OpenCvLab.Lightness(lut[px[3 * p]], lut[px[3 * p + 1]], lut[px[3 * p + 2]])]) count++;
        if (count == 0)
            throw new UserInputException($"no tissue found: every pixel is brighter than the luminosity threshold {threshold} (blank or background-only image)");
        return mask;
    }

    /// <summary>The contrast enhancer as a byte lookup table (skimage rescale_intensity, then uint8 truncation).</summary>
    public static byte[] ContrastStretch(ReadOnlySpan<byte> pixels)
    {
        var histogram = new long[256];
        foreach (var v in pixels) histogram[v]++;
        double low = Percentile.Linear(histogram, pixels.Length, 2), high = Percentile.Linear(histogram, pixels.Length, 98);
        if (low >= high)
        {
            low = Array.FindIndex(histogram, c => c > 0);
            high = Array.FindLastIndex(histogram, c => c > 0);
        }
        var lut = new byte[256];
        for (int v = 0; v < 256; v++)
            lut[v] = high > low ? (byte)((Math.Clamp(v, low, high) - low) / (high - low) * 255.0 + 0.0) : (byte)v;
        return lut;
    }
}
