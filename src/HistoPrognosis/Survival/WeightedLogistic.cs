namespace HistoPrognosis.Survival;

/// <summary>
/// Weighted logistic regression of a binary outcome on one covariate, logit P(y = 1) = a + b·x + offset, by
/// Newton–Raphson from 0 with step halving; either coefficient can be held fixed. Throws <see cref="ArgumentException"/>
/// (the statistic is undefined) when an outcome class has no weight, or the fit does not converge (separation).
/// </summary>
internal static class WeightedLogistic
{
    private const int MaxIterations = 100;
    private const double Tolerance = 1e-10;

    /// <summary>(a, b) of logit P = a + b·x.</summary>
    public static (double Intercept, double Slope) Fit(double[] x, bool[] y, double[] w)
    {
        CheckClasses(y, w);
        double xMin = double.PositiveInfinity, xMax = double.NegativeInfinity;
        for (int i = 0; i < x.Length; i++) if (w[i] > 0) { xMin = Math.Min(xMin, x[i]); xMax = Math.Max(xMax, x[i]); }
        if (!(xMax > xMin)) throw new ArgumentException("The predictions are all equal among patients with a known status: the calibration slope is undefined.");
        double a = 0, b = 0, ll = LogLikelihood(x, y, w, a, b);
        for (int iter = 0; iter < MaxIterations; iter++)
        {
            double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
            for (int i = 0; i < x.Length; i++)
            {
                if (w[i] == 0) continue;
                double m = Sigmoid(a + b * x[i]), r = (y[i] ? 1 : 0) - m, v = w[i] * m * (1 - m);
                g0 += w[i] * r; g1 += w[i] * r * x[i];
                h00 += v; h01 += v * x[i]; h11 += v * x[i] * x[i];
            }
            double det = h00 * h11 - h01 * h01;
            if (!(det > 0)) throw new ArgumentException("The recalibration model is singular.");
            double da = (h11 * g0 - h01 * g1) / det, db = (h00 * g1 - h01 * g0) / det;
            double step = 1, next = LogLikelihood(x, y, w, a + da, b + db);
            for (int half = 0; half < 30 && !(next >= ll - 1e-12); half++) { step /= 2; next = LogLikelihood(x, y, w, a + step * da, b + step * db); }
            a += step * da; b += step * db; ll = next;
            if (Math.Abs(step * da) < Tolerance && Math.Abs(step * db) < Tolerance) return Finite(a, b);
        }
        throw new ArgumentException("The recalibration model did not converge (the outcome is separated by the predictions).");
    }

    /// <summary>a of logit P = a + offset (the slope fixed to 1 through the offset).</summary>
    public static double FitIntercept(double[] offset, bool[] y, double[] w)
    {
        CheckClasses(y, w);
        double a = 0;
        for (int iter = 0; iter < MaxIterations; iter++)
        {
            double g = 0, h = 0;
            for (int i = 0; i < offset.Length; i++)
            {
                if (w[i] == 0) continue;
                double m = Sigmoid(a + offset[i]);
                g += w[i] * ((y[i] ? 1 : 0) - m); h += w[i] * m * (1 - m);
            }
            if (!(h > 0)) throw new ArgumentException("The calibration-in-the-large model is singular.");
            // The one-parameter log-likelihood is concave; a damped step keeps far-off starts from overshooting.
            double da = Math.Clamp(g / h, -5, 5);
            a += da;
            if (Math.Abs(da) < Tolerance) return Finite(a, 1).Intercept;
        }
        throw new ArgumentException("The calibration-in-the-large model did not converge.");
    }

    private static void CheckClasses(bool[] y, double[] w)
    {
        double w1 = 0, w0 = 0;
        for (int i = 0; i < y.Length; i++) if (y[i]) w1 += w[i]; else w0 += w[i];
        if (!(w1 > 0) || !(w0 > 0))
            throw new ArgumentException(w1 > 0 ? "Nobody is known event-free at the horizon." : "Nobody has an event by the horizon.");
    }

    private static (double Intercept, double Slope) Finite(double a, double b) =>
        double.IsFinite(a) && double.IsFinite(b) ? (a, b) : throw new ArgumentException("The recalibration coefficients are not finite.");

    private static double LogLikelihood(double[] x, bool[] y, double[] w, double a, double b)
    {
        double ll = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (w[i] == 0) continue;
            double eta = a + b * x[i];
            // log σ(η) = −log(1 + e^−η), computed stably for either sign.
            double logP = -Softplus(-eta), log1mP = -Softplus(eta);
            ll += w[i] * (y[i] ? logP : log1mP);
        }
        return ll;
    }

    private static double Softplus(double v) => v > 0 ? v + double.LogP1(Math.Exp(-v)) : double.LogP1(Math.Exp(v));

    internal static double Sigmoid(double v) => v >= 0 ? 1 / (1 + Math.Exp(-v)) : Math.Exp(v) / (1 + Math.Exp(v));
}
