namespace HistoPrognosis.Survival;

/// <summary>
/// Concordance indices with the conventions of R's <c>survival::concordance(Surv(time, event) ~ risk, reverse = TRUE)</c>:
/// a higher risk should mean a shorter survival; tied risks count one half; two subjects with the same time are not
/// comparable unless one had the event and the other was censored, in which case the censored one survived longer.
/// Times are merged as R's <c>timefix=TRUE</c> does. O(n log n): one sort and a Fenwick tree over risk ranks.
/// </summary>
public static class Concordance
{
    /// <summary>Harrell's C with R's pair counts.</summary>
    public static ConcordanceResult Harrell(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> risk)
    {
        var counts = Count(time, @event, risk, weighting: null);
        if (counts.Concordant + counts.Discordant + counts.TiedRisk == 0)
            throw new ArgumentException("No comparable pairs: Harrell's C is undefined.");
        double value = (counts.Concordant + counts.TiedRisk / 2.0) / (counts.Concordant + counts.Discordant + counts.TiedRisk);
        return new ConcordanceResult(value, counts.Concordant, counts.Discordant, counts.TiedRisk, counts.TiedTime, counts.TiedBoth);
    }

    /// <summary>
    /// Pairs Harrell's C compares (an event before another's time, or an event tied with a censoring), whatever the
    /// risks: 0 when every event is tied with everyone still at risk, e.g. all events at t = 0 or a single patient.
    /// </summary>
    public static long ComparablePairs(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event)
    {
        if (time.Length < 2 || @event.IndexOf(true) < 0) return 0;
        var counts = Count(time, @event, new double[time.Length], weighting: null);
        return counts.Concordant + counts.Discordant + counts.TiedRisk;
    }

    /// <summary>
    /// Uno's C: each comparable pair anchored at an event time t ≤ <paramref name="tau"/> is weighted by 1/G(t−)², G the
    /// Kaplan–Meier of the censoring distribution (R: <c>concordance(..., reverse=TRUE, timewt="n/G2", ymax=tau)</c>).
    /// </summary>
    public static double Uno(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> risk, double tau)
    {
        if (double.IsNaN(tau) || tau <= 0)
            throw new ArgumentException($"tau must be positive, got {tau}.");
        var counts = Count(time, @event, risk, weighting: tau);
        double total = counts.WeightedConcordant + counts.WeightedDiscordant + counts.WeightedTiedRisk;
        if (total == 0)
            throw new ArgumentException($"No comparable pairs with an event at or before tau = {tau}: Uno's C is undefined.");
        return (counts.WeightedConcordant + counts.WeightedTiedRisk / 2) / total;
    }

    private readonly record struct PairCounts(
        long Concordant, long Discordant, long TiedRisk, long TiedTime, long TiedBoth,
        double WeightedConcordant, double WeightedDiscordant, double WeightedTiedRisk);

    /// <param name="weighting">null: every pair weighs 1 (Harrell); otherwise tau for the 1/G(t−)² weights of Uno.</param>
    private static PairCounts Count(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> risk, double? weighting)
    {
        SurvivalInput.Check(time, @event);
        SurvivalInput.CheckLength(time.Length, risk.Length, "risk");
        SurvivalInput.CheckFinite(risk, "risk");

        int n = time.Length;
        double[] t = TimeFix.Apply(time);
        var rank = new int[n];
        int distinctRisks = Ranking.DenseRanks(risk, rank);
        int[] order = Ranking.OrderByTime(t);

        double[]? weights = weighting is { } tau ? UnoWeights(t, @event, order, tau) : null;

        var tree = new FenwickTree(distinctRisks);
        var atRank = new long[distinctRisks];   // subjects already in the tree with exactly this rank
        var groupRanks = new List<int>();
        long conc = 0, disc = 0, tiedX = 0, tiedY = 0, tiedXY = 0;
        double wConc = 0, wDisc = 0, wTiedX = 0;
        int group = weights is null ? 0 : weights.Length;   // event-time groups, counted down from the latest

        // Sweep from the longest time down: the tree holds everyone who survived longer than the current time.
        for (int end = n; end > 0;)
        {
            int start = end - 1;
            while (start > 0 && t[order[start - 1]] == t[order[end - 1]]) start--;

            // Censored at this time count as longer than the events at this time, so they enter first.
            for (int k = start; k < end; k++)
            {
                int i = order[k];
                if (!@event[i]) { tree.Add(rank[i]); atRank[rank[i]]++; }
            }

            groupRanks.Clear();
            long gConc = 0, gDisc = 0, gTied = 0;
            for (int k = start; k < end; k++)
            {
                int i = order[k];
                if (!@event[i]) continue;
                int r = rank[i];
                long below = tree.CountBelow(r);
                long equal = atRank[r];
                gConc += below;
                gTied += equal;
                gDisc += tree.Total - below - equal;
                groupRanks.Add(r);
            }

            if (groupRanks.Count > 0)
            {
                long d = groupRanks.Count;
                long sameRisk = 0;
                if (d > 1)
                {
                    groupRanks.Sort();
                    for (int a = 0; a < groupRanks.Count;)
                    {
                        int b = a;
                        while (b < groupRanks.Count && groupRanks[b] == groupRanks[a]) b++;
                        long run = b - a;
                        sameRisk += run * (run - 1) / 2;
                        a = b;
                    }
                }
                conc += gConc; disc += gDisc; tiedX += gTied;
                tiedXY += sameRisk;
                tiedY += d * (d - 1) / 2 - sameRisk;

                double w = weights is null ? 1.0 : weights[--group];
                wConc += w * gConc; wDisc += w * gDisc; wTiedX += w * gTied;

                foreach (int r in groupRanks) { tree.Add(r); atRank[r]++; }
            }
            end = start;
        }
        return new PairCounts(conc, disc, tiedX, tiedY, tiedXY, wConc, wDisc, wTiedX);
    }

    /// <summary>
    /// 1/G(t−)² at each distinct event time (ascending), 0 beyond tau; G as in R's fastkm1 (censorings tied with
    /// events happen after them). With fewer than two events R falls back to unit weights (still 0 beyond tau), and so do we.
    /// </summary>
    private static double[] UnoWeights(double[] t, ReadOnlySpan<bool> @event, int[] order, double tau)
    {
        int n = t.Length, events = 0;
        foreach (bool e in @event) if (e) events++;
        var censoring = CensoringDistribution.FromSorted(t, @event, order);
        var weights = new List<double>();
        for (int k = 0; k < n;)
        {
            int end = k;
            bool anyEvent = false;
            while (end < n && t[order[end]] == t[order[k]]) anyEvent |= @event[order[end++]];
            if (anyEvent)
            {
                double et = t[order[k]];
                double g = censoring.SurvivalBefore(et);
                weights.Add(et > tau ? 0.0 : events < 2 ? 1.0 : 1.0 / (g * g));
            }
            k = end;
        }
        return weights.ToArray();
    }
}
