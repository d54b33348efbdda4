namespace HistoPrognosis.Survival;

/// <summary>
/// A fitted Kaplan–Meier curve. <see cref="StdErr"/> is R's <c>std.err</c> of survfit: the standard error of the
/// cumulative hazard (log survival); <c>summary()</c> reports it multiplied by the survival, see
/// <see cref="SurvivalStdErr"/>. Limits are log-transformed: S·exp(∓z·se), the upper one capped at 1.
/// </summary>
public sealed class KaplanMeierCurve
{
    private readonly double _z;

    internal KaplanMeierCurve(double[] time, int[] nRisk, int[] nEvent, int[] nCensor, double[] survival, double[] stdErr, double confidenceLevel)
    {
        Time = time; NRisk = nRisk; NEvent = nEvent; NCensor = nCensor; Survival = survival; StdErr = stdErr;
        ConfidenceLevel = confidenceLevel;
        _z = Normal.Quantile(1 - (1 - confidenceLevel) / 2);
        var lower = new double[time.Length];
        var upper = new double[time.Length];
        for (int i = 0; i < time.Length; i++) (lower[i], upper[i]) = Limits(survival[i], stdErr[i]);
        Lower = lower;
        Upper = upper;
    }

    public IReadOnlyList<double> Time { get; }
    public IReadOnlyList<int> NRisk { get; }
    public IReadOnlyList<int> NEvent { get; }
    public IReadOnlyList<int> NCensor { get; }
    public IReadOnlyList<double> Survival { get; }
    public IReadOnlyList<double> StdErr { get; }
    public IReadOnlyList<double> Lower { get; }
    public IReadOnlyList<double> Upper { get; }
    public double ConfidenceLevel { get; }

    /// <summary>Last observed time; estimates beyond it are not defined.</summary>
    public double LastTime => Time[^1];

    /// <summary>S(t), right-continuous; 1 before the first time. Throws beyond the last observed time.</summary>
    public double SurvivalAt(double t) => At(t).Survival;

    /// <summary>Estimate at t as R's <c>summary(fit, times = t)</c> reports it.</summary>
    public KaplanMeierPoint At(double t)
    {
        if (double.IsNaN(t) || t < 0) throw new ArgumentException($"t must be a non-negative time, got {t}.");
        if (t > LastTime) throw new ArgumentException($"t = {t} is beyond the last follow-up time ({LastTime}).");
        int i = IndexAtOrBefore(t);
        int atRisk = NRiskAt(i, t);
        if (i < 0) return new KaplanMeierPoint(t, atRisk, 1, 0, 0, 1, 1);
        double s = Survival[i];
        return new KaplanMeierPoint(t, atRisk, s, StdErr[i], s * StdErr[i], Lower[i], Upper[i]);
    }

    /// <summary>Standard error of S (Greenwood), as <c>summary(fit)$std.err</c>.</summary>
    public double SurvivalStdErr(int row) => Survival[row] * StdErr[row];

    /// <summary>
    /// Median survival as R prints it: the first time S ≤ 0.5; when S equals 0.5 exactly (within sqrt(eps)) on an
    /// interval, the midpoint of that interval. NaN when the curve never reaches 0.5.
    /// </summary>
    public double Median => Quantile(0.5, Survival);

    /// <summary>Confidence limits for the median from the limit curves, as R's print.survfit (NaN = not reached).</summary>
    public (double Lower, double Upper) MedianConfidenceInterval => (Quantile(0.5, Lower), Quantile(0.5, Upper));

    private double Quantile(double p, IReadOnlyList<double> curve)
    {
        const double tolerance = 1.4901161193847656e-08;
        for (int i = 0; i < curve.Count; i++)
        {
            if (double.IsNaN(curve[i]) || curve[i] > p + tolerance) continue;
            if (Math.Abs(curve[i] - p) < tolerance)
            {
                // Flat at p: average with the next time the curve drops below p.
                for (int j = i + 1; j < curve.Count; j++)
                    if (curve[j] < curve[i] - tolerance) return (Time[i] + Time[j]) / 2;
                return Time[i];
            }
            return Time[i];
        }
        return double.NaN;
    }

    private (double Lower, double Upper) Limits(double s, double se)
    {
        if (s == 0 || double.IsInfinity(se)) return (double.NaN, double.NaN);
        double log = Math.Log(s);
        return (Math.Exp(log - _z * se), Math.Min(1.0, Math.Exp(log + _z * se)));
    }

    private int IndexAtOrBefore(double t)
    {
        int lo = 0, hi = Time.Count;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (Time[mid] <= t) lo = mid + 1; else hi = mid; }
        return lo - 1;
    }

    // Number still at risk at t: those whose time is ≥ t.
    private int NRiskAt(int indexAtOrBefore, double t)
    {
        int next = indexAtOrBefore >= 0 && Time[indexAtOrBefore] == t ? indexAtOrBefore : indexAtOrBefore + 1;
        return next < Time.Count ? NRisk[next] : 0;
    }
}

/// <summary>One row of <c>summary(survfit, times = t)</c>: surv, std.err (of S), lower, upper, n.risk.</summary>
public sealed record KaplanMeierPoint(double Time, int NRisk, double Survival, double CumulativeHazardStdErr, double StdErr, double Lower, double Upper);
