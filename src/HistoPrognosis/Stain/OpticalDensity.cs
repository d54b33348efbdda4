namespace HistoPrognosis.Stain;

/// <summary>
/// Beer–Lambert optical density as TIAToolbox defines it: OD = max(−ln(I/255), 1e-6) with 0 read as 1 (I0 = 255).
/// A 256-entry table makes the per-pixel conversion a lookup.
/// </summary>
public static class OpticalDensity
{
    public const double Floor = 1e-6;

    private static readonly double[] Table = Enumerable.Range(0, 256)
        .Select(i => Math.Max(-Math.Log(Math.Max(i, 1) / 255.0), Floor)).ToArray();

    public static double Of(byte intensity) => Table[intensity];

    /// <summary>Intensity 255·exp(−od), clipped to 0..255 and truncated to a byte, as TIAToolbox's uint8 cast does.</summary>
    public static byte ToByte(double od)
    {
        double v = 255.0 * Math.Exp(-od);
        return v >= 255.0 ? (byte)255 : v <= 0.0 ? (byte)0 : (byte)v;
    }
}
