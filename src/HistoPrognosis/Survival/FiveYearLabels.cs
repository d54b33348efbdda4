namespace HistoPrognosis.Survival;

/// <summary>
/// Binary status at a horizon (five years) from right-censored follow-up, with the censoring rule made explicit
/// (docs/semi-synthetic-cohort.md): <c>true</c> = event at or before the horizon; <c>false</c> = followed beyond the
/// horizon (time &gt; horizon, whatever happened later); <c>null</c> = censored at or before the horizon, so the status is
/// unknown — such subjects must be excluded from a plain AUC, or handled with IPCW (<see cref="TimeDependentAuc"/>).
/// </summary>
public static class FiveYearLabels
{
    public const double HorizonMonths = 60;
    /// <summary>Five years in days, as the R reference values use it.</summary>
    public const double HorizonDays = 1825;

    public static bool?[] Create(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, double horizon)
    {
        SurvivalInput.Check(time, @event, minSubjects: 1, requireEvent: false);
        if (!(horizon > 0) || double.IsInfinity(horizon))
            throw new ArgumentException($"The horizon must be a positive time, got {horizon}.");
        var labels = new bool?[time.Length];
        for (int i = 0; i < time.Length; i++)
            labels[i] = time[i] > horizon ? false : @event[i] ? true : null;
        return labels;
    }
}
