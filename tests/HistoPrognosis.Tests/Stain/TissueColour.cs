using HistoPrognosis.Imaging;
using HistoPrognosis.Stain;

namespace HistoPrognosis.Tests.Stain;

/// <summary>
/// Colour checks of a normalized image on the tissue of its input (TIAToolbox's luminosity mask, threshold 0.8, of
/// the input, so every method is judged on the same pixels).
/// </summary>
internal static class TissueColour
{
    /// <summary>
    /// The cyan band, in HSV of the 8-bit RGB: hue 160°–200° (pure cyan is 180°; the H&amp;E outputs here lie
    /// between 220°, the target's pure haematoxylin, and 330°), saturation (max − min)/max ≥ 0.15 (greys have no
    /// meaningful hue) and value max/255 ≥ 0.2 (the hue of near-black pixels is noise). Haematoxylin rendered
    /// with a negative eosin concentration absorbs red and gives back green: it lands here.
    /// </summary>
    public static bool IsCyan(byte r, byte g, byte b)
    {
        int max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), chroma = max - min;
        if (max < 0.2 * 255 || chroma < 0.15 * max || chroma == 0) return false;
        double hue = max == r ? 60.0 * (g - b) / chroma : max == g ? 60.0 * (b - r) / chroma + 120 : 60.0 * (r - g) / chroma + 240;
        if (hue < 0) hue += 360;
        return hue is >= 160 and <= 200;
    }

    public static bool[] Tissue(RgbImage input) => TissueMask.Compute(input);

    /// <summary>Share of the tissue pixels that are cyan in <paramref name="output"/>.</summary>
    public static double CyanFraction(RgbImage output, bool[] tissue)
    {
        int count = 0, cyan = 0;
        var px = output.Pixels;
        for (int p = 0; p < tissue.Length; p++)
        {
            if (!tissue[p]) continue;
            count++;
            if (IsCyan(px[3 * p], px[3 * p + 1], px[3 * p + 2])) cyan++;
        }
        return (double)cyan / count;
    }

    /// <summary>
    /// Mean CIE76 ΔE (CIELAB D65 through OpenCV's 8-bit conversion: L·100/255, a − 128, b − 128) and mean absolute
    /// per-channel RGB difference between two renderings, over the tissue pixels.
    /// </summary>
    public static ColourDistance Distance(RgbImage a, RgbImage b, bool[] tissue)
    {
        var labA = new byte[a.Pixels.Length];
        var labB = new byte[b.Pixels.Length];
        OpenCvLab.RgbToLab(a.Pixels, labA);
        OpenCvLab.RgbToLab(b.Pixels, labB);
        double deltaE = 0;
        long absolute = 0;
        int count = 0;
        for (int p = 0; p < tissue.Length; p++)
        {
            if (!tissue[p]) continue;
            count++;
            double dl = (labA[3 * p] - labB[3 * p]) * 100.0 / 255, da = labA[3 * p + 1] - labB[3 * p + 1], db = labA[3 * p + 2] - labB[3 * p + 2];
            deltaE += Math.Sqrt(dl * dl + da * da + db * db);
            for (int c = 0; c < 3; c++) absolute += Math.Abs(a.Pixels[3 * p + c] - b.Pixels[3 * p + c]);
        }
        return new ColourDistance(deltaE / count, absolute / (3.0 * count));
    }
}

internal readonly record struct ColourDistance(double MeanDeltaE, double MeanAbs)
{
    public override string ToString() => FormattableString.Invariant($"mean ΔE {MeanDeltaE:F2}, mean |Δ| {MeanAbs:F2}");
}
