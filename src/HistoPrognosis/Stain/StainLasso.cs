namespace HistoPrognosis.Stain;

/// <summary>
/// The non-negative lasso of one pixel's optical density on a pair of stain vectors,
/// argmin_{c ≥ 0} ½‖od − c₀w₀ − c₁w₁‖² + α(c₀ + c₁) (SPAMS' lasso with pos=true, two atoms). The Gram matrix is
/// computed once per stain pair, so each pixel costs two dot products and <see cref="Lasso2.SolveNonNegative"/>.
/// </summary>
public readonly struct StainLasso
{
    private readonly double h0, h1, h2, e0, e1, e2, g00, g01, g11, det, alpha;

    /// <param name="stains">H then E, three components each (rows need not be unit length).</param>
    public StainLasso(ReadOnlySpan<double> stains, double alpha)
    {
        if (stains.Length != 6) throw new ArgumentException("two stain vectors of 3 components", nameof(stains));
        (h0, h1, h2, e0, e1, e2) = (stains[0], stains[1], stains[2], stains[3], stains[4], stains[5]);
        g00 = h0 * h0 + h1 * h1 + h2 * h2;
        g01 = h0 * e0 + h1 * e1 + h2 * e2;
        g11 = e0 * e0 + e1 * e1 + e2 * e2;
        det = g00 * g11 - g01 * g01;
        this.alpha = alpha;
    }

    public StainLasso(StainMatrix matrix, double alpha) : this([.. matrix.Hematoxylin, .. matrix.Eosin], alpha) { }

    public void Solve(double r, double g, double b, out double hematoxylin, out double eosin) =>
        Lasso2.SolveNonNegative(g00, g01, g11, det, h0 * r + h1 * g + h2 * b, e0 * r + e1 * g + e2 * b, alpha, out hematoxylin, out eosin);
}
