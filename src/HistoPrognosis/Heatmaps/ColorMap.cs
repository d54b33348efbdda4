namespace HistoPrognosis.Heatmaps;

/// <summary>
/// A colour map as a 256-entry lookup table of 8-bit sRGB. Coolwarm is computed, not tabulated: Moreland's diverging
/// interpolation ("Diverging Color Maps for Scientific Visualization", 2009) in his Msh space (polar CIELAB) between
/// the blue (0.230, 0.299, 0.754) and red (0.706, 0.016, 0.150) end points, through an unsaturated white of M = 88,
/// so lightness rises to the middle and falls again symmetrically and the middle reads as "neither".
/// </summary>
public sealed class ColorMap
{
    private readonly byte[] _table; // 256 × RGB

    private ColorMap(byte[] table) => _table = table;

    // Declared before the maps: static fields initialise in textual order.
    private static readonly double[] Blue = [0.230, 0.299, 0.754], Red = [0.706, 0.016, 0.150];

    public static ColorMap Coolwarm { get; } = new(Build(t => Diverging(Blue, Red, t)));

    public static ColorMap Warm { get; } = new(Build(t => Diverging(Blue, Red, 0.5 + 0.5 * t)));

    public static ColorMap Of(ColorMapKind kind) => kind switch
    {
        ColorMapKind.Coolwarm => Coolwarm,
        ColorMapKind.Warm => Warm,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The colour of <paramref name="t"/> in [0, 1] (clamped; NaN is the middle).</summary>
    public (byte R, byte G, byte B) At(double t)
    {
        if (double.IsNaN(t)) t = 0.5;
        int i = (int)Math.Round(Math.Clamp(t, 0, 1) * 255);
        return (_table[3 * i], _table[3 * i + 1], _table[3 * i + 2]);
    }

    private static byte[] Build(Func<double, double[]> colour)
    {
        var table = new byte[256 * 3];
        for (int i = 0; i < 256; i++)
        {
            var rgb = colour(i / 255.0);
            for (int c = 0; c < 3; c++) table[3 * i + c] = (byte)Math.Round(Math.Clamp(rgb[c], 0, 1) * 255);
        }
        return table;
    }

    /// <summary>Moreland's interpolation of two sRGB colours in Msh, with a white middle when both are saturated and far apart in hue.</summary>
    private static double[] Diverging(double[] rgb1, double[] rgb2, double t)
    {
        var (m1, s1, h1) = ToMsh(rgb1);
        var (m2, s2, h2) = ToMsh(rgb2);
        if (s1 > 0.05 && s2 > 0.05 && AngleBetween(h1, h2) > Math.PI / 3)
        {
            double mid = Math.Max(88, Math.Max(m1, m2));
            if (t < 0.5) { (m2, s2, h2) = (mid, 0, 0); t *= 2; }
            else { (m1, s1, h1) = (mid, 0, 0); t = 2 * t - 1; }
        }
        // An unsaturated end takes the hue of the saturated one, spun so the path stays perceptually even.
        if (s1 < 0.05 && s2 > 0.05) h1 = AdjustHue(m2, s2, h2, m1);
        else if (s2 < 0.05 && s1 > 0.05) h2 = AdjustHue(m1, s1, h1, m2);
        return FromMsh((1 - t) * m1 + t * m2, (1 - t) * s1 + t * s2, (1 - t) * h1 + t * h2);
    }

    private static double AngleBetween(double a, double b)
    {
        double d = Math.Abs(a - b) % (2 * Math.PI);
        return d > Math.PI ? 2 * Math.PI - d : d;
    }

    private static double AdjustHue(double m, double s, double h, double unsaturatedM)
    {
        if (m >= unsaturatedM) return h;
        double spin = s * Math.Sqrt(unsaturatedM * unsaturatedM - m * m) / (m * Math.Sin(s));
        return h > -Math.PI / 3 ? h + spin : h - spin;
    }

    // D65 reference white.
    private const double Xn = 0.95047, Yn = 1.0, Zn = 1.08883;

    private static (double M, double S, double H) ToMsh(double[] rgb)
    {
        double r = Linear(rgb[0]), g = Linear(rgb[1]), b = Linear(rgb[2]);
        double x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
        double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
        double z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
        double fx = F(x / Xn), fy = F(y / Yn), fz = F(z / Zn);
        double l = 116 * fy - 16, a = 500 * (fx - fy), bb = 200 * (fy - fz);
        double m = Math.Sqrt(l * l + a * a + bb * bb);
        return (m, m == 0 ? 0 : Math.Acos(l / m), Math.Atan2(bb, a));
    }

    private static double[] FromMsh(double m, double s, double h)
    {
        double l = m * Math.Cos(s), a = m * Math.Sin(s) * Math.Cos(h), bb = m * Math.Sin(s) * Math.Sin(h);
        double fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - bb / 200;
        double x = Xn * FInverse(fx), y = Yn * FInverse(fy), z = Zn * FInverse(fz);
        double r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
        double g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
        double b = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
        return [Gamma(r), Gamma(g), Gamma(b)];
    }

    private static double Linear(double c) => c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
    private static double Gamma(double c) => c <= 0.0031308 ? 12.92 * c : 1.055 * Math.Pow(Math.Max(c, 0), 1 / 2.4) - 0.055;
    private static double F(double t) => t > 216.0 / 24389 ? Math.Cbrt(t) : (24389.0 / 27 * t + 16) / 116;
    private static double FInverse(double t) => t * t * t > 216.0 / 24389 ? t * t * t : (116 * t - 16) * 27 / 24389;
}
