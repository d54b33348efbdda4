namespace HistoPrognosis.Stain;

/// <summary>
/// Exact lasso with two coefficients: minimise ½cᵀGc − bᵀc + α‖c‖₁ (optionally c ≥ 0). Every sign pattern gives a
/// closed-form candidate; the convex objective's minimiser is the best sign-consistent one. With two stains this
/// replaces LARS (sklearn's lasso_lars reaches the same point) at a few flops per pixel.
/// </summary>
public static class Lasso2
{
    /// <summary>The c ≥ 0 case without allocation or closures: the per-pixel step of the Vahadane factorisation.</summary>
    public static void SolveNonNegative(double g00, double g01, double g11, double det, double b0, double b1, double alpha, out double c0, out double c1)
    {
        c0 = 0; c1 = 0;
        double best = 0, r0 = b0 - alpha, r1 = b1 - alpha;
        if (det > 0)
        {
            double x0 = (g11 * r0 - g01 * r1) / det, x1 = (g00 * r1 - g01 * r0) / det;
            if (x0 > 0 && x1 > 0)
            {
                // Interior optimum of a convex problem: it is the minimiser.
                c0 = x0; c1 = x1;
                return;
            }
        }
        // On a face the objective is −r²/(2g) at c = r/g.
        if (r0 > 0 && g00 > 0) { best = -r0 * r0 / (2 * g00); c0 = r0 / g00; }
        if (r1 > 0 && g11 > 0 && -r1 * r1 / (2 * g11) < best) { c0 = 0; c1 = r1 / g11; }
    }

    public static (double C0, double C1) Solve(double g00, double g01, double g11, double b0, double b1, double alpha, bool positive)
    {
        double best0 = 0, best1 = 0, bestValue = 0; // c = 0 is always feasible with objective 0
        void Consider(double c0, double c1)
        {
            double value = 0.5 * (g00 * c0 * c0 + 2 * g01 * c0 * c1 + g11 * c1 * c1) - b0 * c0 - b1 * c1 + alpha * (Math.Abs(c0) + Math.Abs(c1));
            if (value < bestValue) (best0, best1, bestValue) = (c0, c1, value);
        }
        ReadOnlySpan<int> signs = positive ? [1] : [1, -1];
        foreach (int s0 in signs)
        {
            if (g00 > 0)
            {
                double c0 = (b0 - alpha * s0) / g00;
                if (Math.Sign(c0) == s0) Consider(c0, 0);
            }
            if (g11 > 0)
            {
                double c1 = (b1 - alpha * s0) / g11;
                if (Math.Sign(c1) == s0) Consider(0, c1);
            }
            foreach (int s1 in signs)
            {
                double det = g00 * g11 - g01 * g01;
                if (det <= 0) continue;
                double r0 = b0 - alpha * s0, r1 = b1 - alpha * s1;
                double c0 = (g11 * r0 - g01 * r1) / det, c1 = (g00 * r1 - g01 * r0) / det;
                if (Math.Sign(c0) == s0 && Math.Sign(c1) == s1) Consider(c0, c1);
            }
        }
        return (best0, best1);
    }
}
