namespace HistoPrognosis.Survival;

/// <summary>
/// Restricted (natural) cubic spline basis with knots at Harrell's default percentiles (Harrell 2015, Regression
/// Modeling Strategies, §2.4.6; Hmisc <c>rcspline.eval</c>): for k knots t₁ &lt; … &lt; t_k the basis is x and, for
/// j = 1..k−2, [(x−t_j)₊³ − (x−t_{k−1})₊³(t_k−t_j)/(t_k−t_{k−1}) + (x−t_k)₊³(t_{k−1}−t_j)/(t_k−t_{k−1})] / (t_k−t₁)²
/// (the division is Hmisc's <c>norm = 2</c>; it rescales coefficients, not fits). Linear beyond the outer knots.
/// </summary>
public sealed class RestrictedCubicSpline
{
    private readonly double[] _knots;

    private RestrictedCubicSpline(double[] knots) => _knots = knots;

    public IReadOnlyList<double> Knots => _knots;

    /// <summary>Columns of the basis: x and k − 2 nonlinear terms.</summary>
    public int Columns => _knots.Length - 1;

    /// <summary>
    /// Knots at the percentiles Harrell tabulates for 3 knots (10, 50, 90) or 4 knots (5, 35, 65, 95), R's type-7
    /// quantiles; with fewer than 100 values the outer knots are the 5th smallest and 5th largest (as Hmisc does).
    /// Throws when the knots are not strictly increasing (too few distinct values).
    /// </summary>
    public static RestrictedCubicSpline AtHarrellPercentiles(ReadOnlySpan<double> x, int knots = 3)
    {
        double[] percentiles = knots switch
        {
            3 => [0.10, 0.50, 0.90],
            4 => [0.05, 0.35, 0.65, 0.95],
            _ => throw new ArgumentException($"Harrell's default knot percentiles are tabulated here for 3 or 4 knots, got {knots}."),
        };
        var sorted = x.ToArray();
        Array.Sort(sorted);
        int n = sorted.Length;
        if (n < 10) throw new ArgumentException($"A {knots}-knot spline needs at least 10 values, got {n}.");
        var t = percentiles.Select(p => Bootstrap.Quantile7(sorted, p)).ToArray();
        if (n < 100) { t[0] = sorted[4]; t[^1] = sorted[n - 5]; }
        for (int j = 1; j < t.Length; j++)
            if (!(t[j] > t[j - 1]))
                throw new ArgumentException($"The spline knots are not distinct ({string.Join(", ", t)}): too few distinct values.");
        return new RestrictedCubicSpline(t);
    }

    public double[] Basis(double x)
    {
        int k = _knots.Length;
        double tk = _knots[k - 1], tk1 = _knots[k - 2], scale = (tk - _knots[0]) * (tk - _knots[0]);
        var row = new double[k - 1];
        row[0] = x;
        for (int j = 0; j < k - 2; j++)
        {
            double tj = _knots[j];
            row[j + 1] = (Cube(x - tj) - Cube(x - tk1) * (tk - tj) / (tk - tk1) + Cube(x - tk) * (tk1 - tj) / (tk - tk1)) / scale;
        }
        return row;
    }

    private static double Cube(double v) => v > 0 ? v * v * v : 0;
}
