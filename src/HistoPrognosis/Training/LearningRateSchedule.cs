namespace HistoPrognosis.Training;

/// <summary>Linear warm-up then cosine decay to zero: a multiplier of each group's base learning rate.</summary>
public static class LearningRateSchedule
{
    public static double WarmupCosine(int step, int totalSteps, double warmupFraction)
    {
        if (totalSteps <= 0) return 1;
        int warmup = (int)Math.Ceiling(totalSteps * warmupFraction);
        if (step < warmup) return (step + 1.0) / warmup;
        double progress = (step - warmup) / (double)Math.Max(1, totalSteps - warmup);
        return 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress)));
    }
}
