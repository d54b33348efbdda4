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
        int n = image.Width * image.Height;
        var h = new double[n];
        var e = new double[n];
        Concentrations(image, matrix, h, e);
        return new Concentrations(h, e);
    }

    /// <summary>The same concentrations written into caller buffers (one value per pixel each).</summary>
    public static void Concentrations(RgbImage image, StainMatrix matrix, Span<double> hematoxylin, Span<double> eosin)
    {
        var p = matrix.PseudoInverse();
        int n = image.Width * image.Height;
        if (hematoxylin.Length < n || eosin.Length < n) throw new ArgumentException("one value per pixel needed");
        var px = image.Pixels;
        for (int i = 0; i < n; i++)
        {
            double r = OpticalDensity.Of(px[3 * i]), g = OpticalDensity.Of(px[3 * i + 1]), b = OpticalDensity.Of(px[3 * i + 2]);
            hematoxylin[i] = p[0] * r + p[1] * g + p[2] * b;
            eosin[i] = p[3] * r + p[4] * g + p[5] * b;
        }
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

    /// <summary>
    /// Re-stains an image: concentrations in the <paramref name="source"/> basis, scaled per stain, rebuilt with
    /// <paramref name="target"/> (the normalizers' transform). Because every step is linear in the optical
    /// densities and the OD of a byte is a table entry, 255·exp(−OD_out) factorises into one 256-entry table per
    /// (output, input) channel pair: nine lookups and a product per pixel instead of three exponentials.
    /// </summary>
    public static RgbImage Transfer(RgbImage image, StainMatrix source, StainMatrix target, double scaleH = 1, double scaleE = 1)
    {
        var p = source.PseudoInverse();
        var tables = new double[9 * 256];
        for (int k = 0; k < 3; k++)
        for (int j = 0; j < 3; j++)
        {
            double weight = scaleH * target[0, k] * p[j] + scaleE * target[1, k] * p[3 + j];
            for (int v = 0; v < 256; v++) tables[(k * 3 + j) * 256 + v] = Math.Exp(-weight * OpticalDensity.Of((byte)v));
        }
        var px = image.Pixels;
        var output = GC.AllocateUninitializedArray<byte>(px.Length);
        for (int i = 0; i < px.Length; i += 3)
        {
            int r = px[i], g = px[i + 1], b = px[i + 2];
            for (int k = 0; k < 3; k++)
            {
                int t = k * 768;
                double v = 255.0 * tables[t + r] * tables[t + 256 + g] * tables[t + 512 + b];
                output[i + k] = v >= 255.0 ? (byte)255 : (byte)v; // exp > 0, so only the upper clip applies
            }
        }
        return new RgbImage(image.Width, image.Height, output);
    }

    /// <summary>One stain alone (0 = haematoxylin, 1 = eosin) rendered in its own colour, the other set to zero.</summary>
    public static RgbImage SingleStain(RgbImage image, StainMatrix matrix, int stain)
    {
        if (stain is not (0 or 1)) throw new ArgumentOutOfRangeException(nameof(stain), "0 = haematoxylin, 1 = eosin");
        var c = Concentrations(image, matrix);
        return Compose(c, image.Width, image.Height, matrix, stain == 0 ? 1 : 0, stain == 1 ? 1 : 0);
    }
}
