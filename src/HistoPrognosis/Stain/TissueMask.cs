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
        var mask = new bool[image.Width * image.Height];
        int count = Fill(image.Pixels, threshold, mask);
        if (count == 0) throw NoTissue(threshold);
        return mask;
    }

    /// <summary>
    /// Copies the RGB bytes of the tissue pixels, in image order, to the start of <paramref name="tissue"/> (at
    /// least as long as the image's bytes) and returns how many pixels were copied; throws like
    /// <see cref="Compute"/> when none. For callers that need the tissue colours, not the mask.
    /// </summary>
    public static unsafe int CollectTissue(RgbImage image, Span<byte> tissue, double threshold = DefaultThreshold)
    {
        var pixels = image.Pixels;
        if (tissue.Length < pixels.Length) throw new ArgumentException("destination too small", nameof(tissue));
        var (y, isTissue) = Tables(pixels, threshold);
        int count = 0, n = image.Width * image.Height;
        fixed (byte* px = pixels, dst = tissue)
        fixed (int* ty = y)
        fixed (bool* t = isTissue)
        {
            for (int p = 0; p < n; p++)
            {
                byte r = px[3 * p], g = px[3 * p + 1], b = px[3 * p + 2];
                // Write unconditionally, advance only for tissue: no branch on the mask.
                dst[3 * count] = r;
                dst[3 * count + 1] = g;
                dst[3 * count + 2] = b;
                count += t[(ty[r] + ty[256 + g] + ty[512 + b] + 2048) >> 12] ? 1 : 0;
            }
        }
        if (count == 0) throw NoTissue(threshold);
        return count;
    }

    private static UserInputException NoTissue(double threshold) =>
        new($"no tissue found: every pixel is brighter than the luminosity threshold {threshold} (blank or background-only image)");

    // Contrast stretch and 8-bit lightness fused into tables: three lookups and one comparison per pixel.
    private static (int[] Y, bool[] IsTissue) Tables(byte[] pixels, double threshold)
    {
        var y = OpenCvLab.YTables(ContrastStretch(pixels));
        var tissue = new bool[OpenCvLab.YIndexCount];
        for (int i = 0; i < tissue.Length; i++) tissue[i] = OpenCvLab.LightnessOfY(i) / 255.0 < threshold;
        return (y, tissue);
    }

    private static unsafe int Fill(byte[] pixels, double threshold, bool[] mask)
    {
        var (y, tissue) = Tables(pixels, threshold);
        int count = 0;
        fixed (byte* px = pixels)
        fixed (int* ty = y)
        fixed (bool* isTissue = tissue, m = mask)
        {
            for (int p = 0; p < mask.Length; p++)
            {
                bool t = isTissue[(ty[px[3 * p]] + ty[256 + px[3 * p + 1]] + ty[512 + px[3 * p + 2]] + 2048) >> 12];
                m[p] = t;
                count += t ? 1 : 0;
            }
        }
        return count;
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
