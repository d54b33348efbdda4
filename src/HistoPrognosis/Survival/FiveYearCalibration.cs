namespace HistoPrognosis.Survival;

/// <summary>Integrated calibration index and its quantiles (Austin, Harrell &amp; van Klaveren 2020), with the spline knots used.</summary>
public sealed record IntegratedCalibration(double Ici, double E50, double E90, double Emax, IReadOnlyList<double> Knots);

/// <summary>
/// Calibration at a horizon of predicted event probabilities p̂ against right-censored follow-up.
/// <list type="bullet">
/// <item><b>Slope and intercept</b> (Cox 1958's logistic recalibration, as Van Calster et al. 2016/2019 define them,
/// with the event-by-horizon status known only up to censoring): the status yᵢ = 1{Tᵢ ≤ h} is weighted by inverse
/// probability of censoring (Graf et al. 1999, the Brier score's weights): 1/G(Tᵢ−) for events by h, 1/G(h) for patients
/// followed beyond h, 0 for patients censored by h, G the Kaplan–Meier of the censoring times. The <b>slope</b> is b of
/// the weighted fit logit P(y = 1) = a + b·logit(p̂); the <b>intercept</b> (calibration-in-the-large) is a of
/// logit P(y = 1) = a + logit(p̂), the slope fixed to 1 as an offset. Perfect calibration: slope 1, intercept 0;
/// slope &lt; 1 means too extreme predictions, intercept &gt; 0 predictions too low on average.</item>
/// <item><b>O/E</b>: Kaplan–Meier risk 1 − S(h) of all patients over the mean p̂.</item>
/// <item><b>ICI, E50, E90, Emax</b> (Austin, Harrell &amp; van Klaveren 2020, Stat Med 39:2714): the observed risk of each
/// patient is 1 − exp(−Ĥ₀(h)·exp(β·s(xᵢ))) from a Cox model (Efron ties, Breslow baseline Ĥ₀) of the outcome on a
/// 3-knot restricted cubic spline s of xᵢ = log(−log(1 − p̂ᵢ)), knots at Harrell's percentiles
/// (<see cref="RestrictedCubicSpline.AtHarrellPercentiles"/>); ICI is the mean of |p̂ᵢ − observedᵢ|, E50 its median, E90
/// its 90th percentile (type-7 quantile), Emax its maximum.</item>
/// </list>
/// p̂ is clipped to [1e-8, 1 − 1e-8] before the logit and log(−log) transforms, so a prediction of exactly 0 or 1
/// stays finite. Every method throws <see cref="ArgumentException"/> when its statistic is undefined on the patients given
/// (what <see cref="Bootstrap.Estimate"/> counts as an undefined resample).
/// </summary>
public static class FiveYearCalibration
{
    private const double Clip = 1e-8;

    public static double Slope(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> predicted, double horizon)
    {
        var (y, w) = Status(time, @event, predicted, horizon);
        return WeightedLogistic.Fit(Logits(predicted), y, w).Slope;
    }

    public static double Intercept(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> predicted, double horizon)
    {
        var (y, w) = Status(time, @event, predicted, horizon);
        return WeightedLogistic.FitIntercept(Logits(predicted), y, w);
    }

    /// <summary>Kaplan–Meier risk by the horizon over the mean predicted risk.</summary>
    public static double ObservedExpected(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> predicted, double horizon)
    {
        Check(time, @event, predicted, horizon);
        var curve = KaplanMeier.Fit(time, @event);
        double survival = CalibrationCurve.SurvivalAt(curve, horizon) ?? throw new ArgumentException($"Nobody is followed to the horizon ({horizon}).");
        double expected = 0;
        foreach (double p in predicted) expected += p;
        expected /= predicted.Length;
        if (!(expected > 0)) throw new ArgumentException("The mean predicted risk is 0: O/E is undefined.");
        return (1 - survival) / expected;
    }

    public static IntegratedCalibration Integrated(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> predicted, double horizon)
    {
        Check(time, @event, predicted, horizon);
        SurvivalInput.Check(time, @event);
        double last = 0;
        foreach (double t in time) last = Math.Max(last, t);
        if (horizon > last) throw new ArgumentException($"Nobody is followed to the horizon ({horizon}).");
        int n = time.Length;
        var cll = new double[n];
        for (int i = 0; i < n; i++) cll[i] = Math.Log(-Math.Log(1 - Math.Clamp(predicted[i], Clip, 1 - Clip)));
        var spline = RestrictedCubicSpline.AtHarrellPercentiles(cll);
        var x = cll.Select(spline.Basis).ToArray();
        var model = CoxRegression.Fit(x, time, @event, CoxTies.Efron);
        double h0 = model.BreslowBaselineHazard.At(horizon);
        var error = new double[n];
        for (int i = 0; i < n; i++)
        {
            double eta = 0;
            for (int c = 0; c < x[i].Length; c++) eta += x[i][c] * model.Coefficients[c];
            error[i] = Math.Abs(predicted[i] - (1 - Math.Exp(-h0 * Math.Exp(eta))));
        }
        var sorted = (double[])error.Clone();
        Array.Sort(sorted);
        return new IntegratedCalibration(error.Average(), Bootstrap.Quantile7(sorted, 0.5), Bootstrap.Quantile7(sorted, 0.9), sorted[^1], spline.Knots);
    }

    /// <summary>Event-by-horizon status and its inverse-probability-of-censoring weight (0 when unknown).</summary>
    internal static (bool[] Status, double[] Weight) Status(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> predicted, double horizon)
    {
        Check(time, @event, predicted, horizon);
        var censoring = IpcwHorizon.Check(time, @event, horizon);
        int n = time.Length;
        var y = new bool[n];
        var w = new double[n];
        double beyond = 1 / censoring.SurvivalAt(horizon);
        for (int i = 0; i < n; i++)
        {
            if (time[i] > horizon) w[i] = beyond;
            else if (@event[i]) { y[i] = true; w[i] = 1 / censoring.SurvivalBefore(time[i]); }
        }
        return (y, w);
    }

    internal static void CheckProbabilities(ReadOnlySpan<double> p)
    {
        for (int i = 0; i < p.Length; i++)
            if (!(p[i] >= 0 && p[i] <= 1))
                throw new ArgumentException($"predicted probability [{i}] is {p[i]}; it must lie in [0, 1].");
    }

    private static void Check(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> predicted, double horizon)
    {
        SurvivalInput.Check(time, @event, requireEvent: false);
        SurvivalInput.CheckLength(time.Length, predicted.Length, "predicted");
        CheckProbabilities(predicted);
        if (!(horizon > 0) || !double.IsFinite(horizon)) throw new ArgumentException($"The horizon must be a positive time, got {horizon}.");
    }

    private static double[] Logits(ReadOnlySpan<double> p)
    {
        var x = new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            double q = Math.Clamp(p[i], Clip, 1 - Clip);
            x[i] = Math.Log(q / (1 - q));
        }
        return x;
    }
}

/// <summary>How a calibration group's observed-risk interval is computed.</summary>
public enum ObservedRiskInterval
{
    /// <summary>Kaplan–Meier with Greenwood's variance on the log(−log S) scale (R's <c>conf.type = "log-log"</c>).</summary>
    GreenwoodLogLog,
}

/// <summary>
/// Calibration at the horizon as results.json reports it (definitions in <see cref="FiveYearCalibration"/> and
/// <see cref="CalibrationCurve"/>); intervals are percentile bootstrap 95% intervals over patients. A statistic
/// undefined on these patients is null. <see cref="Groups"/> has fewer than <see cref="RequestedGroups"/> groups when
/// the patients are few (<see cref="CalibrationCurve.MinPatientsPerGroup"/>).
/// </summary>
public sealed record FiveYearCalibrationResult(double HorizonMonths, int RequestedGroups, IReadOnlyList<CalibrationGroup> Groups,
    Estimate? Intercept, Estimate? Slope, double? ObservedExpected, Estimate? Ici, double? E50, double? E90, double? Emax,
    IReadOnlyList<double>? SplineKnots)
{
    /// <summary>How the groups' observed-risk intervals are computed.</summary>
    public ObservedRiskInterval ObservedInterval { get; init; } = ObservedRiskInterval.GreenwoodLogLog;

    public static FiveYearCalibrationResult Assess(double[] time, bool[] @event, double[] predicted, double horizon, int groups,
        int bootstrapSamples, int seed, double minDefinedShare)
    {
        int n = time.Length;
        Estimate? Metric(Func<double[], bool[], double[], double> f) => Bootstrap.Estimate(n, idx =>
        {
            var (t, e, p) = Bootstrap.Gather(idx, time, @event, predicted);
            return f(t, e, p);
        }, bootstrapSamples, seed, minDefinedShare);
        T? Try<T>(Func<T> f) where T : class { try { return f(); } catch (ArgumentException) { return null; } }
        double? TryValue(Func<double> f) { try { return f(); } catch (ArgumentException) { return null; } }

        var curve = CalibrationCurve.Compute(time, @event, predicted, horizon, groups);
        var intercept = Metric((t, e, p) => FiveYearCalibration.Intercept(t, e, p, horizon));
        var slope = Metric((t, e, p) => FiveYearCalibration.Slope(t, e, p, horizon));
        var ici = Metric((t, e, p) => FiveYearCalibration.Integrated(t, e, p, horizon).Ici);
        var integrated = Try(() => FiveYearCalibration.Integrated(time, @event, predicted, horizon));
        var oe = TryValue(() => FiveYearCalibration.ObservedExpected(time, @event, predicted, horizon));
        return new FiveYearCalibrationResult(horizon, groups, curve, intercept, slope, oe, ici,
            integrated?.E50, integrated?.E90, integrated?.Emax, integrated?.Knots);
    }
}
