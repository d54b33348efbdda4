namespace HistoPrognosis.Training;

/// <summary>Threshold metrics at 0.5 and a rank correlation, on plain arrays.</summary>
public static class BinaryMetrics
{
    /// <summary>Mean of sensitivity and specificity at the threshold.</summary>
    public static double BalancedAccuracy(ReadOnlySpan<float> probability, ReadOnlySpan<int> labels, double threshold = 0.5)
    {
        var (tp, fp, tn, fn) = Confusion(probability, labels, threshold);
        return 0.5 * (tp / (double)Math.Max(1, tp + fn) + tn / (double)Math.Max(1, tn + fp));
    }

    public static double F1(ReadOnlySpan<float> probability, ReadOnlySpan<int> labels, double threshold = 0.5)
    {
        var (tp, fp, _, fn) = Confusion(probability, labels, threshold);
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    /// <summary>Spearman's ρ: Pearson correlation of mid-ranks (ties share their average rank).</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count || a.Count < 2) return double.NaN;
        var ra = MidRanks(a);
        var rb = MidRanks(b);
        double ma = ra.Average(), mb = rb.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < ra.Length; i++)
        {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }

    private static double[] MidRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]]) j++;
            for (int k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }

    private static (long Tp, long Fp, long Tn, long Fn) Confusion(ReadOnlySpan<float> probability, ReadOnlySpan<int> labels, double threshold)
    {
        long tp = 0, fp = 0, tn = 0, fn = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            bool predicted = probability[i] >= threshold;
            if (labels[i] == 1) { if (predicted) tp++; else fn++; }
            else { if (predicted) fp++; else tn++; }
        }
        return (tp, fp, tn, fn);
    }
}
