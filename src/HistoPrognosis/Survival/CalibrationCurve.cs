namespace HistoPrognosis.Survival;

/// <summary>
/// One group of the calibration curve: patients with neighbouring predicted risks, their mean predicted risk and the
/// Kaplan–Meier risk 1 − S(horizon) observed in them, with its 95% interval. <see cref="Observed"/> is null when the
/// group's follow-up ends before the horizon; the bounds are also null when S(horizon) is 0 or 1 (no log(−log) interval).
/// </summary>
public sealed record CalibrationGroup(int Group, int Patients, int Events, double MeanPredicted, double MinPredicted, double MaxPredicted,
    double? Observed, double? ObservedLower, double? ObservedUpper);

/// <summary>
/// Calibration curve at a horizon: patients sorted by predicted risk and cut into groups of (near) equal size —
/// quantile groups (deciles by default). Fewer groups than asked when there are fewer than
/// <see cref="MinPatientsPerGroup"/> patients per group, so each group's Kaplan–Meier is not built on a handful.
/// Patients are grouped by rank: tied predictions can straddle a group boundary (the order among ties is the input order).
/// Observed risk interval: Greenwood variance on the log(−log S) scale (R's <c>conf.type = "log-log"</c>),
/// S^exp(±z·σ/log S) with σ² = Σ d/(n(n − d)), turned into risk bounds 1 − S.
/// </summary>
public static class CalibrationCurve
{
    public const int MinPatientsPerGroup = 5;

    /// <summary>The number of groups used for <paramref name="patients"/> when <paramref name="requested"/> are asked for (at least 1).</summary>
    public static int GroupCount(int patients, int requested) => Math.Max(1, Math.Min(requested, patients / MinPatientsPerGroup));

    public static IReadOnlyList<CalibrationGroup> Compute(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> predicted,
        double horizon, int requestedGroups = 10)
    {
        SurvivalInput.Check(time, @event, minSubjects: 1, requireEvent: false);
        SurvivalInput.CheckLength(time.Length, predicted.Length, "predicted");
        FiveYearCalibration.CheckProbabilities(predicted);
        if (requestedGroups < 1) throw new ArgumentException($"requestedGroups must be at least 1, got {requestedGroups}.");
        int n = time.Length, groups = GroupCount(n, requestedGroups);
        var p = predicted.ToArray();
        var times = time.ToArray();
        var events = @event.ToArray();
        int[] order = Enumerable.Range(0, n).OrderBy(i => p[i]).ThenBy(i => i).ToArray();
        double z = Normal.Quantile(0.975);
        var result = new List<CalibrationGroup>(groups);
        for (int g = 0; g < groups; g++)
        {
            int start = (int)((long)g * n / groups), end = (int)((long)(g + 1) * n / groups);
            var members = order[start..end];
            var t = members.Select(i => times[i]).ToArray();
            var e = members.Select(i => events[i]).ToArray();
            var mp = members.Select(i => p[i]).ToArray();
            var (observed, lower, upper) = ObservedRisk(KaplanMeier.Fit(t, e), horizon, z);
            result.Add(new CalibrationGroup(g + 1, members.Length, e.Count(x => x), mp.Average(), mp.Min(), mp.Max(), observed, lower, upper));
        }
        return result;
    }

    /// <summary>
    /// Kaplan–Meier S(horizon); also 0 beyond the last time when the curve has reached 0 (everyone left had an event),
    /// null when the follow-up ends before the horizon with S &gt; 0.
    /// </summary>
    internal static double? SurvivalAt(KaplanMeierCurve curve, double horizon) =>
        horizon <= curve.LastTime ? curve.SurvivalAt(horizon) : curve.Survival[^1] == 0 ? 0 : null;

    /// <summary>1 − S(horizon) with its log(−log) Greenwood interval; all null when S(horizon) is undefined (<see cref="SurvivalAt"/>).</summary>
    internal static (double? Risk, double? Lower, double? Upper) ObservedRisk(KaplanMeierCurve curve, double horizon, double z)
    {
        if (SurvivalAt(curve, horizon) is not double survival) return (null, null, null);
        if (horizon > curve.LastTime) return (1 - survival, null, null);
        var point = curve.At(horizon);
        double s = point.Survival, sigma = point.CumulativeHazardStdErr;
        if (s <= 0 || s >= 1 || !double.IsFinite(sigma)) return (1 - s, null, null);
        double logS = Math.Log(s);
        // log S < 0, so S^exp(−zσ/log S) (exponent above 1) is the lower survival limit: the upper risk bound.
        double sLow = Math.Pow(s, Math.Exp(-z * sigma / logS)), sHigh = Math.Pow(s, Math.Exp(z * sigma / logS));
        return (1 - s, 1 - sHigh, 1 - sLow);
    }
}
