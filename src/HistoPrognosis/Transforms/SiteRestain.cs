using HistoPrognosis.Imaging;

namespace HistoPrognosis.Transforms;

/// <summary>
/// Simulates another laboratory: decomposes an image on the standard H&amp;E(+DAB) optical-density basis
/// (Ruifrok &amp; Johnston) and recomposes it with a different haematoxylin and eosin vector and staining
/// intensity, keeping the residual channel. Deterministic: every image of the "site" gets the same stain.
/// </summary>
public sealed class SiteRestain : ITransform
{
    /// <summary>The reference H&amp;E matrix widely used with Macenko's method (Macenko et al. 2009 implementations).</summary>
    public static readonly double[] MacenkoReferenceH = [0.5626, 0.7201, 0.4062];
    public static readonly double[] MacenkoReferenceE = [0.2159, 0.8012, 0.5581];

    private readonly StainSpace _target;
    private readonly double _hScale, _eScale;

    public SiteRestain(double[] hematoxylin, double[] eosin, double hematoxylinScale, double eosinScale)
    {
        if (hematoxylin.Length != 3 || eosin.Length != 3) throw new UserInputException("stain vectors need 3 components (OD of R, G, B)");
        if (hematoxylin.Any(v => v < 0) || eosin.Any(v => v < 0)) throw new UserInputException("stain vectors must be non-negative optical densities");
        if (hematoxylinScale <= 0 || eosinScale <= 0) throw new UserInputException("stain intensities must be positive");
        _target = new StainSpace(Unit(hematoxylin), Unit(eosin), StainSpace.Hed.Residual);
        (_hScale, _eScale) = (hematoxylinScale, eosinScale);
    }

    public RgbImage Apply(RgbImage image, Random rng)
    {
        var c = StainSpace.Hed.Decompose(image);
        for (int i = 0; i < c.Length; i += 3)
        {
            c[i] *= _hScale;
            c[i + 1] *= _eScale;
        }
        return _target.Compose(c, image.Width, image.Height);
    }

    private static double[] Unit(double[] v)
    {
        double n = Math.Sqrt(v.Sum(x => x * x));
        return n == 0 ? throw new UserInputException("a stain vector cannot be zero") : v.Select(x => x / n).ToArray();
    }
}
