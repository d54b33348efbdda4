namespace HistoPrognosis.Survival;

/// <summary>
/// Time-dependent AUC at t with cumulative cases (event at or before t) and dynamic controls (still event-free after
/// t), weighted by inverse probability of censoring from a marginal Kaplan–Meier: a case i weighs 1/G(Tᵢ−), a control
/// 1/G(t); subjects censored at or before t drop out. Equals <c>riskRegression::Score(..., metrics="auc",
/// cens.model="km")</c>, whose trapezoidal ROC area is the weighted Mann–Whitney statistic computed here with ties ½.
/// </summary>
public static class TimeDependentAuc
{
    public static double At(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> risk, double t)
    {
        SurvivalInput.Check(time, @event);
        SurvivalInput.CheckLength(time.Length, risk.Length, "risk");
        SurvivalInput.CheckFinite(risk, "risk");
        var censoring = IpcwHorizon.Check(time, @event, t);

        int n = time.Length;
        var controlRisks = new List<double>();
        for (int i = 0; i < n; i++)
            if (time[i] > t) controlRisks.Add(risk[i]);
        if (controlRisks.Count == 0)
            throw new ArgumentException($"No subject is event-free after t = {t}: the AUC at t is undefined.");
        var controls = controlRisks.ToArray();
        Array.Sort(controls);

        // Controls share the weight 1/G(t), which cancels: AUC = Σ wᵢ·P(control risk < riskᵢ, ties ½) / Σ wᵢ.
        double numerator = 0, caseWeight = 0;
        for (int i = 0; i < n; i++)
        {
            if (!(@event[i] && time[i] <= t)) continue;
            double w = 1.0 / censoring.SurvivalBefore(time[i]);
            int below = LowerBound(controls, risk[i]);
            int notAbove = UpperBound(controls, risk[i]);
            numerator += w * (below + 0.5 * (notAbove - below));
            caseWeight += w;
        }
        if (caseWeight == 0)
            throw new ArgumentException($"No event at or before t = {t}: the AUC at t is undefined.");
        return numerator / (caseWeight * controls.Length);
    }

    private static int LowerBound(double[] sorted, double x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (sorted[mid] < x) lo = mid + 1; else hi = mid; }
        return lo;
    }

    private static int UpperBound(double[] sorted, double x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (sorted[mid] <= x) lo = mid + 1; else hi = mid; }
        return lo;
    }
}
