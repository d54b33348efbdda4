namespace HistoPrognosis.Survival;

/// <summary>
/// Kaplan–Meier estimate G(t) = P(C &gt; t) of the censoring distribution, the denominator of inverse-probability-of-
/// censoring weights. At a time with both events and censorings the events happen first, so they leave the censoring
/// risk set: each jump is 1 − c/(n − d). This is the convention of prodlim's reverse KM (riskRegression) and of
/// survival's fastkm1 (concordance timewt), so the weights agree with both.
/// </summary>
public sealed class CensoringDistribution
{
    private readonly double[] _times;   // censoring times where G jumps, ascending
    private readonly double[] _values;  // G just after each of them

    private CensoringDistribution(double[] times, double[] values)
    {
        _times = times;
        _values = values;
    }

    public static CensoringDistribution Fit(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event)
    {
        SurvivalInput.Check(time, @event, minSubjects: 1, requireEvent: false);
        var t = time.ToArray();
        return FromSorted(t, @event, Ranking.OrderByTime(t));
    }

    internal static CensoringDistribution FromSorted(double[] time, ReadOnlySpan<bool> @event, int[] order)
    {
        int n = time.Length;
        var times = new List<double>();
        var values = new List<double>();
        double g = 1;
        for (int k = 0; k < n;)
        {
            double tk = time[order[k]];
            int atRisk = n - k, deaths = 0, censored = 0;
            int end = k;
            for (; end < n && time[order[end]] == tk; end++)
                if (@event[order[end]]) deaths++; else censored++;
            if (censored > 0)
            {
                g *= 1.0 - (double)censored / (atRisk - deaths);
                times.Add(tk);
                values.Add(g);
            }
            k = end;
        }
        return new CensoringDistribution(times.ToArray(), values.ToArray());
    }

    /// <summary>G(t): probability of remaining uncensored beyond t (right-continuous).</summary>
    public double SurvivalAt(double t)
    {
        int i = UpperBound(t);   // jumps at times ≤ t
        return i == 0 ? 1.0 : _values[i - 1];
    }

    /// <summary>G(t−): the left limit, i.e. censorings strictly before t.</summary>
    public double SurvivalBefore(double t)
    {
        int i = LowerBound(t);   // jumps at times < t
        return i == 0 ? 1.0 : _values[i - 1];
    }

    private int UpperBound(double t)
    {
        int lo = 0, hi = _times.Length;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (_times[mid] <= t) lo = mid + 1; else hi = mid; }
        return lo;
    }

    private int LowerBound(double t)
    {
        int lo = 0, hi = _times.Length;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (_times[mid] < t) lo = mid + 1; else hi = mid; }
        return lo;
    }
}
