namespace HistoPrognosis.Survival;

/// <summary>
/// Kaplan–Meier estimator as R's <c>survfit(Surv(time, event) ~ 1)</c>: one row per distinct time (events or
/// censorings), Greenwood standard error of the cumulative hazard, and log-transformed confidence limits
/// (<c>conf.type="log"</c>, the R default). Times are merged as R's <c>timefix=TRUE</c> does.
/// </summary>
public static class KaplanMeier
{
    public static KaplanMeierCurve Fit(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, double confidenceLevel = 0.95)
    {
        SurvivalInput.Check(time, @event, minSubjects: 1, requireEvent: false);
        if (!(confidenceLevel > 0 && confidenceLevel < 1))
            throw new ArgumentException($"confidenceLevel must lie in (0, 1), got {confidenceLevel}.");
        double[] t = TimeFix.Apply(time);
        int[] order = Ranking.OrderByTime(t);
        int n = t.Length;

        var times = new List<double>();
        var nRisk = new List<int>();
        var nEvent = new List<int>();
        var nCensor = new List<int>();
        var surv = new List<double>();
        var stdErr = new List<double>();
        double s = 1, greenwood = 0;
        for (int k = 0; k < n;)
        {
            double tk = t[order[k]];
            int atRisk = n - k, deaths = 0, censored = 0, end = k;
            for (; end < n && t[order[end]] == tk; end++)
                if (@event[order[end]]) deaths++; else censored++;
            if (deaths > 0)
            {
                s *= (double)(atRisk - deaths) / atRisk;
                // d / (n (n − d)); infinite once everyone at risk has died, as in R.
                greenwood += atRisk == deaths ? double.PositiveInfinity : (double)deaths / ((double)atRisk * (atRisk - deaths));
            }
            times.Add(tk); nRisk.Add(atRisk); nEvent.Add(deaths); nCensor.Add(censored);
            surv.Add(s); stdErr.Add(Math.Sqrt(greenwood));
            k = end;
        }
        return new KaplanMeierCurve(times.ToArray(), nRisk.ToArray(), nEvent.ToArray(), nCensor.ToArray(),
            surv.ToArray(), stdErr.ToArray(), confidenceLevel);
    }
}
