namespace HistoPrognosis.Survival;

/// <summary>Argument checks shared by every estimator, so bad data fails loudly instead of giving a wrong number.</summary>
internal static class SurvivalInput
{
    public static void Check(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, int minSubjects = 2, bool requireEvent = true)
    {
        if (time.Length != @event.Length)
            throw new ArgumentException($"time has {time.Length} values but event has {@event.Length}.");
        if (time.Length < minSubjects)
            throw new ArgumentException($"Need at least {minSubjects} subjects, got {time.Length}.");
        for (int i = 0; i < time.Length; i++)
        {
            double t = time[i];
            if (double.IsNaN(t) || double.IsInfinity(t))
                throw new ArgumentException($"time[{i}] is {t}; times must be finite.");
            if (t < 0)
                throw new ArgumentException($"time[{i}] is negative ({t}).");
        }
        if (requireEvent && @event.IndexOf(true) < 0)
            throw new ArgumentException("There are no events: the statistic is undefined.");
    }

    public static void CheckLength(int expected, int actual, string name)
    {
        if (expected != actual)
            throw new ArgumentException($"{name} has {actual} values but time has {expected}.");
    }

    public static void CheckFinite(ReadOnlySpan<double> values, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] is {values[i]}; values must be finite.");
    }
}
