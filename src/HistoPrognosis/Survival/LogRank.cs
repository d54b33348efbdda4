namespace HistoPrognosis.Survival;

/// <summary>
/// The k-sample log-rank test as R's <c>survdiff(Surv(time, event) ~ group)</c> (rho = 0): observed minus expected
/// events per group with the hypergeometric variance, χ² = (O − E)ᵀ V⁻ (O − E) over all groups but the first,
/// df = groups − 1. Groups are ordered by their integer code, as R orders factor levels.
/// </summary>
public static class LogRank
{
    public static LogRankResult Test(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<int> group)
    {
        SurvivalInput.Check(time, @event);
        SurvivalInput.CheckLength(time.Length, group.Length, "group");
        int[] codes = group.ToArray().Distinct().Order().ToArray();
        if (codes.Length < 2)
            throw new ArgumentException($"The log-rank test needs at least 2 groups; all subjects are in group {codes[0]}.");
        int k = codes.Length, n = time.Length;
        var g = new int[n];
        for (int i = 0; i < n; i++) g[i] = Array.BinarySearch(codes, group[i]);

        double[] t = TimeFix.Apply(time);
        int[] order = Ranking.OrderByTime(t);
        var atRisk = new double[k];
        var counts = new int[k];
        foreach (int gi in g) { atRisk[gi]++; counts[gi]++; }

        var observed = new double[k];
        var expected = new double[k];
        var variance = new double[k * k];
        var deathsByGroup = new double[k];
        var leavingByGroup = new double[k];
        for (int s = 0; s < n;)
        {
            double ts = t[order[s]];
            int end = s;
            Array.Clear(deathsByGroup);
            Array.Clear(leavingByGroup);
            double deaths = 0;
            for (; end < n && t[order[end]] == ts; end++)
            {
                int i = order[end];
                leavingByGroup[g[i]]++;
                if (@event[i]) { deathsByGroup[g[i]]++; deaths++; }
            }
            double total = n - s;
            if (deaths > 0)
            {
                double factor = total > 1 ? deaths * (total - deaths) / (total * total * (total - 1)) : 0;
                for (int a = 0; a < k; a++)
                {
                    observed[a] += deathsByGroup[a];
                    expected[a] += deaths * atRisk[a] / total;
                    for (int b = 0; b < k; b++)
                        variance[a * k + b] += factor * atRisk[a] * ((a == b ? total : 0) - atRisk[b]);
                }
            }
            for (int a = 0; a < k; a++) atRisk[a] -= leavingByGroup[a];
            s = end;
        }

        // R drops groups with no expected events, then the first remaining one (the variance has rank k − 1).
        int[] kept = Enumerable.Range(0, k).Where(a => expected[a] > 0).ToArray();
        int df = kept.Length - 1;
        double chisq = 0;
        if (df >= 1)
        {
            var v = new double[df * df];
            var diff = new double[df];
            for (int a = 0; a < df; a++)
            {
                diff[a] = observed[kept[a + 1]] - expected[kept[a + 1]];
                for (int b = 0; b < df; b++) v[a * df + b] = variance[kept[a + 1] * k + kept[b + 1]];
            }
            var chol = Cholesky.TryDecompose(v, df, out _)
                ?? throw new ArgumentException("The log-rank variance matrix is singular (a group has no one at risk at any event time).");
            double[] solved = chol.Solve(diff);
            for (int a = 0; a < df; a++) chisq += solved[a] * diff[a];
        }
        else
        {
            throw new ArgumentException("The log-rank test needs at least 2 groups with subjects at risk at an event time.");
        }
        double p = ChiSquare.SurvivalFunction(chisq, df);
        return new LogRankResult(codes, counts, observed, expected, variance, chisq, df, p);
    }
}

/// <summary>Result of <see cref="LogRank.Test"/>; names follow R's survdiff (n, obs, exp, var, chisq) plus df and p.</summary>
public sealed record LogRankResult(
    IReadOnlyList<int> Groups, IReadOnlyList<int> N, IReadOnlyList<double> Observed, IReadOnlyList<double> Expected,
    IReadOnlyList<double> Variance, double ChiSquare, int DegreesOfFreedom, double P);
