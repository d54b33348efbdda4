namespace HistoPrognosis.Stain;

/// <summary>
/// Two stain vectors in optical-density space, row 0 haematoxylin and row 1 eosin, columns R, G, B; the layout of
/// TIAToolbox's 2×3 matrices. Concentrations are the least-squares coordinates of a pixel's OD in this basis.
/// </summary>
public sealed class StainMatrix
{
    private readonly double[] values;

    public StainMatrix(double[] hematoxylin, double[] eosin)
    {
        if (hematoxylin.Length != 3 || eosin.Length != 3) throw new ArgumentException("stain vectors need 3 components (R, G, B)");
        values = [.. hematoxylin, .. eosin];
        if (values.Any(v => !double.IsFinite(v))) throw new ArgumentException("stain vectors must be finite");
        // The 2×2 Gram matrix must be invertible for concentrations to exist.
        double det = Dot(0, 0) * Dot(1, 1) - Dot(0, 1) * Dot(0, 1);
        if (!(det > 1e-12 * Dot(0, 0) * Dot(1, 1))) throw new ArgumentException("stain vectors are (nearly) parallel or zero");
    }

    /// <summary>Ruifrok &amp; Johnston's fixed H&amp;E vectors as TIAToolbox uses them (not re-normalised).</summary>
    public static StainMatrix Ruifrok { get; } = new([0.65, 0.70, 0.29], [0.07, 0.99, 0.11]);

    /// <summary>Component <paramref name="channel"/> (0 R, 1 G, 2 B) of stain <paramref name="stain"/> (0 H, 1 E).</summary>
    public double this[int stain, int channel] => values[stain * 3 + channel];

    public double[] Hematoxylin => values[..3];
    public double[] Eosin => values[3..];

    public bool IsNonNegative => values.All(v => v >= 0);

    /// <summary>Rows scaled to unit length, H first as the row with the larger red component (TIAToolbox's ordering).</summary>
    public static StainMatrix FromUnordered(double[] a, double[] b)
    {
        var (h, e) = a[0] > b[0] ? (a, b) : (b, a);
        return new StainMatrix(Unit(h), Unit(e));
    }

    /// <summary>
    /// The 2×3 pseudo-inverse (M Mᵀ)⁻¹ M: concentrations = P · od. Equal to numpy's lstsq(Mᵀ, od) for a
    /// full-rank M, which TIAToolbox solves for every pixel.
    /// </summary>
    public double[] PseudoInverse()
    {
        double a = Dot(0, 0), b = Dot(0, 1), d = Dot(1, 1), det = a * d - b * b;
        var p = new double[6];
        for (int c = 0; c < 3; c++)
        {
            p[c] = (d * this[0, c] - b * this[1, c]) / det;
            p[3 + c] = (-b * this[0, c] + a * this[1, c]) / det;
        }
        return p;
    }

    public double[][] ToRows() => [Hematoxylin, Eosin];

    public override string ToString() =>
        FormattableString.Invariant($"H=({this[0, 0]:F4}, {this[0, 1]:F4}, {this[0, 2]:F4}) E=({this[1, 0]:F4}, {this[1, 1]:F4}, {this[1, 2]:F4})");

    private double Dot(int i, int j) => this[i, 0] * this[j, 0] + this[i, 1] * this[j, 1] + this[i, 2] * this[j, 2];

    private static double[] Unit(double[] v)
    {
        double n = Math.Sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        return [v[0] / n, v[1] / n, v[2] / n];
    }
}
