namespace HistoPrognosis.Survival;

/// <summary>Log-gamma and the regularized incomplete gamma functions, accurate to about 1e-14 relative.</summary>
public static class SpecialFunctions
{
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7).</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma needs x > 0.");
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        x -= 1;
        double a = Lanczos[0];
        double t = x + 7.5;
        for (int i = 1; i < Lanczos.Length; i++) a += Lanczos[i] / (x + i);
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(a);
    }

    /// <summary>Regularized lower incomplete gamma P(a, x).</summary>
    public static double GammaP(double a, double x)
    {
        CheckGammaArguments(a, x);
        if (x == 0) return 0;
        if (double.IsPositiveInfinity(x)) return 1;
        return x < a + 1 ? GammaSeries(a, x) : 1 - GammaContinuedFraction(a, x);
    }

    /// <summary>Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), accurate in the far tail.</summary>
    public static double GammaQ(double a, double x)
    {
        CheckGammaArguments(a, x);
        if (x == 0) return 1;
        if (double.IsPositiveInfinity(x)) return 0;
        return x < a + 1 ? 1 - GammaSeries(a, x) : GammaContinuedFraction(a, x);
    }

    private static void CheckGammaArguments(double a, double x)
    {
        if (!(a > 0)) throw new ArgumentOutOfRangeException(nameof(a), a, "Shape must be positive.");
        if (!(x >= 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "x must be non-negative.");
    }

    // Series for P(a, x), converges quickly for x < a + 1.
    private static double GammaSeries(double a, double x)
    {
        double ap = a, sum = 1 / a, del = sum;
        for (int n = 0; n < 10_000; n++)
        {
            ap += 1;
            del *= x / ap;
            sum += del;
            if (Math.Abs(del) < Math.Abs(sum) * 1e-17) break;
        }
        return sum * Math.Exp(-x + a * Math.Log(x) - LogGamma(a));
    }

    // Modified Lentz continued fraction for Q(a, x), x ≥ a + 1.
    private static double GammaContinuedFraction(double a, double x)
    {
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (int i = 1; i < 10_000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.Abs(del - 1) < 1e-17) break;
        }
        return Math.Exp(-x + a * Math.Log(x) - LogGamma(a)) * h;
    }
}

/// <summary>The χ² distribution, computed in-house from the regularized incomplete gamma function.</summary>
public static class ChiSquare
{
    /// <summary>Upper tail P(X &gt; x) for X ~ χ²(df): the p-value of a χ² statistic (R: pchisq(x, df, lower.tail=FALSE)).</summary>
    public static double SurvivalFunction(double x, double df)
    {
        if (!(df > 0)) throw new ArgumentOutOfRangeException(nameof(df), df, "Degrees of freedom must be positive.");
        if (double.IsNaN(x)) return double.NaN;
        return x <= 0 ? 1 : SpecialFunctions.GammaQ(df / 2, x / 2);
    }

    /// <summary>P(X ≤ x) for X ~ χ²(df).</summary>
    public static double Cdf(double x, double df)
    {
        if (!(df > 0)) throw new ArgumentOutOfRangeException(nameof(df), df, "Degrees of freedom must be positive.");
        if (double.IsNaN(x)) return double.NaN;
        return x <= 0 ? 0 : SpecialFunctions.GammaP(df / 2, x / 2);
    }
}

/// <summary>The standard normal distribution.</summary>
public static class Normal
{
    /// <summary>Φ(x), via the incomplete gamma function (Φ(−|x|) = Q(½, x²/2)/2) so tails keep relative accuracy.</summary>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double tail = 0.5 * SpecialFunctions.GammaQ(0.5, x * x / 2);
        return x < 0 ? tail : 1 - tail;
    }

    /// <summary>Two-sided p-value P(|Z| ≥ |z|).</summary>
    public static double TwoSidedP(double z) => double.IsNaN(z) ? double.NaN : SpecialFunctions.GammaQ(0.5, z * z / 2);

    /// <summary>Φ⁻¹(p) by Wichura's AS 241 (PPND16), the algorithm of R's qnorm; about 1e-16 relative.</summary>
    public static double Quantile(double p)
    {
        if (!(p > 0 && p < 1))
        {
            if (p == 0) return double.NegativeInfinity;
            if (p == 1) return double.PositiveInfinity;
            throw new ArgumentOutOfRangeException(nameof(p), p, "p must lie in [0, 1].");
        }
        double q = p - 0.5;
        if (Math.Abs(q) <= 0.425)
        {
            double r = 0.180625 - q * q;
            return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r
                        + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                        + 133.14166789178437745) * r + 3.387132872796366608)
                   / (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r
                        + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                        + 42.313330701600911252) * r + 1.0);
        }
        double rr = q < 0 ? p : 1 - p;
        rr = Math.Sqrt(-Math.Log(rr));
        double val;
        if (rr <= 5)
        {
            rr -= 1.6;
            val = (((((((rr * 7.7454501427834140764e-4 + 0.0227238449892691845833) * rr + 0.24178072517745061177) * rr
                    + 1.27045825245236838258) * rr + 3.64784832476320460504) * rr + 5.7694972214606914055) * rr
                    + 4.6303378461565452959) * rr + 1.42343711074968357734)
                / (((((((rr * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * rr + 0.0151986665636164571966) * rr
                    + 0.14810397642748007459) * rr + 0.68976733498510000455) * rr + 1.6763848301838038494) * rr
                    + 2.05319162663775882187) * rr + 1.0);
        }
        else
        {
            rr -= 5;
            val = (((((((rr * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * rr + 0.0012426609473880784386) * rr
                    + 0.026532189526576123093) * rr + 0.29656057182850489123) * rr + 1.7848265399172913358) * rr
                    + 5.4637849111641143699) * rr + 6.6579046435011037772)
                / (((((((rr * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * rr + 1.8463183175100546818e-5) * rr
                    + 7.868691311456132591e-4) * rr + 0.0148753612908506148525) * rr + 0.13692988092273580531) * rr
                    + 0.59983220655588793769) * rr + 1.0);
        }
        return q < 0 ? -val : val;
    }
}
