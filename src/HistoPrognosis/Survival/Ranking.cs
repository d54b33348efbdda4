namespace HistoPrognosis.Survival;

/// <summary>Sorting helpers shared by the estimators.</summary>
internal static class Ranking
{
    /// <summary>Dense ranks 0..m-1 of <paramref name="values"/> (equal values share a rank); returns m.</summary>
    public static int DenseRanks(ReadOnlySpan<double> values, Span<int> ranks)
    {
        int n = values.Length;
        var keys = values.ToArray();
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(keys, order);
        int rank = -1;
        for (int i = 0; i < n; i++)
        {
            if (i == 0 || keys[i] != keys[i - 1]) rank++;
            ranks[order[i]] = rank;
        }
        return rank + 1;
    }

    /// <summary>Indices ordered by ascending time (stable for equal times).</summary>
    public static int[] OrderByTime(ReadOnlySpan<double> time)
    {
        var keys = time.ToArray();
        var order = new int[keys.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(keys, order);
        return order;
    }
}
