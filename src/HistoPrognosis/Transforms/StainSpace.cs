using HistoPrognosis.Imaging;
using HistoPrognosis.Stain;

namespace HistoPrognosis.Transforms;

/// <summary>
/// A full 3×3 stain basis (H, E and a residual vector) for augmentation: unlike the 2-stain normalizers it keeps
/// the residual, so an unperturbed round trip gives the image back (up to rounding).
/// </summary>
internal sealed class StainSpace
{
    private readonly double[] basis;   // rows: H, E, residual (OD per R, G, B)
    private readonly double[] inverse; // OD → concentrations

    public StainSpace(double[] h, double[] e, double[] residual)
    {
        basis = [.. h, .. e, .. residual];
        inverse = Invert(basis);
    }

    public double[] Residual => basis[6..];

    /// <summary>skimage's HED basis (Ruifrok &amp; Johnston): H, E, DAB.</summary>
    public static StainSpace Hed { get; } = new([0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]);

    /// <summary>H and E from a 2-stain matrix, with their normalised cross product as the residual.</summary>
    public static StainSpace FromStains(double[] h, double[] e)
    {
        double[] r = [h[1] * e[2] - h[2] * e[1], h[2] * e[0] - h[0] * e[2], h[0] * e[1] - h[1] * e[0]];
        double n = Math.Sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
        return new StainSpace(h, e, [r[0] / n, r[1] / n, r[2] / n]);
    }

    /// <summary>Concentrations of every pixel, 3 per pixel (H, E, residual).</summary>
    public double[] Decompose(RgbImage image)
    {
        var px = image.Pixels;
        var c = new double[px.Length];
        for (int i = 0; i < px.Length; i += 3)
        {
            double r = OpticalDensity.Of(px[i]), g = OpticalDensity.Of(px[i + 1]), b = OpticalDensity.Of(px[i + 2]);
            for (int s = 0; s < 3; s++) c[i + s] = r * inverse[s] + g * inverse[3 + s] + b * inverse[6 + s];
        }
        return c;
    }

    /// <summary>Image from concentrations with this basis (rounded, clipped to 0..255).</summary>
    public RgbImage Compose(double[] c, int width, int height)
    {
        var output = new byte[c.Length];
        for (int i = 0; i < c.Length; i += 3)
        for (int ch = 0; ch < 3; ch++)
        {
            double od = c[i] * basis[ch] + c[i + 1] * basis[3 + ch] + c[i + 2] * basis[6 + ch];
            output[i + ch] = (byte)Math.Clamp(Math.Round(255.0 * Math.Exp(-od)), 0, 255);
        }
        return new RgbImage(width, height, output);
    }

    // Row-vector convention: concentrations c satisfy od = c · basis, so c = od · basis⁻¹.
    private static double[] Invert(double[] m)
    {
        double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7], i = m[8];
        double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
        if (Math.Abs(det) < 1e-12) throw new ArgumentException("stain basis is singular");
        return
        [
            (e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
            (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
            (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
        ];
    }
}
