namespace HistoPrognosis.Survival;

/// <summary>Shared horizon checks for the IPCW metrics (AUC and Brier at t).</summary>
internal static class IpcwHorizon
{
    /// <summary>Fits the censoring KM after checking that t lies inside the follow-up, where G(t) &gt; 0.</summary>
    public static CensoringDistribution Check(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, double t)
    {
        if (!double.IsFinite(t) || t < 0)
            throw new ArgumentException($"The horizon t must be a finite non-negative time, got {t}.");
        double last = 0;
        foreach (double x in time) last = Math.Max(last, x);
        if (t >= last)
            throw new ArgumentException($"The horizon t = {t} is at or beyond the last follow-up time ({last}): nobody is observed after it.");
        var censoring = CensoringDistribution.Fit(time, @event);
        if (censoring.SurvivalAt(t) <= 0)
            throw new ArgumentException($"The censoring survival G({t}) is 0: inverse-probability weights are undefined.");
        return censoring;
    }
}
