namespace HistoPrognosis.Survival;

/// <summary>
/// R's <c>aeqSurv</c> (the <c>timefix=TRUE</c> default of survfit, coxph and concordance): distinct times closer than
/// sqrt(machine epsilon), absolutely or relative to the mean absolute unique time, are merged onto the smaller one.
/// Without it, times such as 0.1+0.2 and 0.3 would be treated as untied and counts would differ from R.
/// </summary>
internal static class TimeFix
{
    private static readonly double Tolerance = Math.Sqrt(2.220446049250313e-16); // sqrt(.Machine$double.eps)

    /// <summary>Returns <paramref name="time"/> with near-ties merged; a copy only when something changes.</summary>
    public static double[] Apply(ReadOnlySpan<double> time)
    {
        var unique = time.ToArray();
        Array.Sort(unique);
        int m = 0;
        for (int i = 0; i < unique.Length; i++)
            if (m == 0 || unique[i] != unique[m - 1]) unique[m++] = unique[i];

        double meanAbs = 0;
        for (int i = 0; i < m; i++) meanAbs += Math.Abs(unique[i]);
        meanAbs /= m;

        // cut[i] = the value that unique[i] maps to (start of its run of near-ties).
        bool any = false;
        var cut = new double[m];
        for (int i = 0; i < m; i++)
        {
            if (i > 0)
            {
                double dy = unique[i] - unique[i - 1];
                if (dy <= Tolerance || dy / meanAbs <= Tolerance) { cut[i] = cut[i - 1]; any = true; continue; }
            }
            cut[i] = unique[i];
        }

        var result = time.ToArray();
        if (!any) return result;
        for (int i = 0; i < result.Length; i++)
            result[i] = cut[Array.BinarySearch(unique, 0, m, result[i])];
        return result;
    }
}
