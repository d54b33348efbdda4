using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>Per-pixel stain concentrations of an image (H and E planes), one value per pixel each.</summary>
public sealed class Concentrations(double[] hematoxylin, double[] eosin)
{
    public double[] Hematoxylin { get; } = hematoxylin;
    public double[] Eosin { get; } = eosin;
}

/// <summary>
/// Colour deconvolution: split an image into stain concentrations for a given stain matrix, and rebuild an image
/// from concentrations. Use it to look at haematoxylin or eosin alone.
/// </summary>
public static class ColorDeconvolution
{
    /// <summary>Least-squares concentrations of every pixel's optical density (TIAToolbox's lstsq, all pixels).</summary>
    public static Concentrations Concentrations(RgbImage image, StainMatrix matrix)
    {
        var p = matrix.PseudoInverse();
        int n = image.Width * image.Height;
        var h = new double[n];
        var e = new double[n];
        var px = image.Pixels;
        for (int i = 0; i < n; i++)
        {
            double r = OpticalDensity.Of(px[3 * i]), g = OpticalDensity.Of(px[3 * i + 1]), b = OpticalDensity.Of(px[3 * i + 2]);
            h[i] = p[0] * r + p[1] * g + p[2] * b;
            e[i] = p[3] * r + p[4] * g + p[5] * b;
        }
        return new Concentrations(h, e);
    }

    /// <summary>I = 255·exp(−(sH·cH·H + sE·cE·E)) per channel, clipped to 0..255 and truncated to bytes.</summary>
    public static RgbImage Compose(Concentrations c, int width, int height, StainMatrix matrix, double scaleH = 1, double scaleE = 1)
    {
        var output = new byte[width * height * 3];
        double h0 = matrix[0, 0], h1 = matrix[0, 1], h2 = matrix[0, 2];
        double e0 = matrix[1, 0], e1 = matrix[1, 1], e2 = matrix[1, 2];
        var hs = c.Hematoxylin;
        var es = c.Eosin;
        for (int i = 0; i < hs.Length; i++)
        {
            // Scale the concentrations first, then combine: the order numpy uses, so truncation ties fall the same way.
            double ch = hs[i] * scaleH, ce = es[i] * scaleE;
            output[3 * i] = OpticalDensity.ToByte(ch * h0 + ce * e0);
            output[3 * i + 1] = OpticalDensity.ToByte(ch * h1 + ce * e1);
            output[3 * i + 2] = OpticalDensity.ToByte(ch * h2 + ce * e2);
        }
        return new RgbImage(width, height, output);
    }

    /// <summary>One stain alone (0 = haematoxylin, 1 = eosin) rendered in its own colour, the other set to zero.</summary>
    public static RgbImage SingleStain(RgbImage image, StainMatrix matrix, int stain)
    {
        if (stain is not (0 or 1)) throw new ArgumentOutOfRangeException(nameof(stain), "0 = haematoxylin, 1 = eosin");
        var c = Concentrations(image, matrix);
        return Compose(c, image.Width, image.Height, matrix, stain == 0 ? 1 : 0, stain == 1 ? 1 : 0);
    }
}
