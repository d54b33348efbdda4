namespace HistoPrognosis.Survival;

/// <summary>
/// Net benefit at one risk threshold: the model (treat patients with p̂ ≥ threshold), treat-all and treat-none (0).
/// <see cref="Model"/> is null when the high-risk group's Kaplan–Meier is undefined at the horizon (its follow-up ends
/// before it with survival above 0), <see cref="TreatAll"/> when everyone's is.
/// </summary>
public sealed record NetBenefitPoint(double Threshold, int HighRisk, double? Model, double? TreatAll, double TreatNone);

/// <summary>
/// Decision curve for a time-to-event outcome (Vickers, Cronin, Elkin &amp; Gönen 2008, BMC Med Inform Decis Mak 8:53):
/// NB(pₜ) = TP/n − FP/n · pₜ/(1 − pₜ), with TP/n = (1 − S_high(h))·P(p̂ ≥ pₜ) and FP/n = S_high(h)·P(p̂ ≥ pₜ), S_high
/// the Kaplan–Meier survival at the horizon among the patients with p̂ ≥ pₜ. Treat-all uses the Kaplan–Meier of
/// everyone. Nobody above the threshold: TP = FP = 0, so NB = 0 (the model treats nobody).
/// </summary>
public static class DecisionCurve
{
    /// <summary>0.05, 0.10, …, 0.60.</summary>
    public static IReadOnlyList<double> DefaultThresholds { get; } = Enumerable.Range(1, 12).Select(k => Math.Round(0.05 * k, 10)).ToArray();

    public static IReadOnlyList<NetBenefitPoint> Compute(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> predicted,
        double horizon, IReadOnlyList<double> thresholds)
    {
        SurvivalInput.Check(time, @event, minSubjects: 1, requireEvent: false);
        SurvivalInput.CheckLength(time.Length, predicted.Length, "predicted");
        FiveYearCalibration.CheckProbabilities(predicted);
        foreach (double pt in thresholds)
            if (!(pt > 0 && pt < 1)) throw new ArgumentException($"A risk threshold must lie in (0, 1), got {pt}.");
        int n = time.Length;
        double? allRisk = RiskBy(KaplanMeier.Fit(time, @event), horizon);
        var points = new List<NetBenefitPoint>(thresholds.Count);
        foreach (double pt in thresholds)
        {
            double odds = pt / (1 - pt);
            var t = new List<double>();
            var e = new List<bool>();
            for (int i = 0; i < n; i++)
                if (predicted[i] >= pt) { t.Add(time[i]); e.Add(@event[i]); }
            double? model = 0;
            if (t.Count > 0 && RiskBy(KaplanMeier.Fit(t.ToArray(), e.ToArray()), horizon) is double r)
            {
                double share = (double)t.Count / n;
                model = r * share - (1 - r) * share * odds;
            }
            else if (t.Count > 0) model = null;
            points.Add(new NetBenefitPoint(pt, t.Count, model, allRisk is double a ? a - (1 - a) * odds : null, 0));
        }
        return points;
    }

    private static double? RiskBy(KaplanMeierCurve curve, double horizon) => 1 - CalibrationCurve.SurvivalAt(curve, horizon);
}
