namespace HistoPrognosis.Survival;

/// <summary>Predicted-risk groups for Kaplan–Meier curves and the log-rank test.</summary>
public static class RiskGroups
{
    /// <summary>1 for subjects above the median risk, 0 for the rest (ties at the median go low).</summary>
    public static int[] AboveMedian(IReadOnlyList<double> risk)
    {
        if (risk.Count == 0) return [];
        double median = risk.OrderBy(r => r).ElementAt((risk.Count - 1) / 2);
        return risk.Select(r => r > median ? 1 : 0).ToArray();
    }
}
