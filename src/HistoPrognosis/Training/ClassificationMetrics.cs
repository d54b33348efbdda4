namespace HistoPrognosis.Training;

/// <summary>Patch-level classification metrics on plain arrays.</summary>
public static class ClassificationMetrics
{
    /// <summary>
    /// ROC AUC as the Mann–Whitney statistic: the probability that a random positive scores above a random
    /// negative, ties counting ½ (mid-ranks). NaN when one class is absent.
    /// </summary>
    public static double RocAuc(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels)
    {
        if (scores.Length != labels.Length) throw new ArgumentException("scores and labels differ in length");
        foreach (var label in labels)
            if (label is not (0 or 1)) throw new ArgumentException($"labels must be 0 or 1, got {label}");
        var order = Enumerable.Range(0, scores.Length).ToArray();
        var keys = scores.ToArray();
        Array.Sort(keys, order);
        double positiveRankSum = 0;
        long positives = 0, negatives = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && keys[j + 1] == keys[i]) j++;
            double midRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
            {
                if (labels[order[k]] == 1) { positiveRankSum += midRank; positives++; }
                else negatives++;
            }
            i = j + 1;
        }
        if (positives == 0 || negatives == 0) return double.NaN;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
