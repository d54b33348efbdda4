namespace HistoPrognosis.Survival;

/// <summary>
/// Harrell's C with the pair counts of R's <c>survival::concordance(..., reverse=TRUE)</c>:
/// <see cref="Concordant"/> = comparable pairs where the higher risk failed first, <see cref="TiedRisk"/> = tied.x,
/// <see cref="TiedTime"/> = tied.y (two events at the same time, different risk), <see cref="TiedBoth"/> = tied.xy.
/// <see cref="Value"/> = (concordant + tied.x / 2) / (concordant + discordant + tied.x).
/// </summary>
public sealed record ConcordanceResult(double Value, long Concordant, long Discordant, long TiedRisk, long TiedTime, long TiedBoth = 0)
{
    /// <summary>Number of comparable pairs that enter the statistic.</summary>
    public long ComparablePairs => Concordant + Discordant + TiedRisk;
}
