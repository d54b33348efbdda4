namespace HistoPrognosis.Survival;

/// <summary>
/// Brier score of predicted event probabilities at t with inverse-probability-of-censoring weights from a marginal
/// Kaplan–Meier (Graf et al. 1999): mean over all n of (1 − p)²/G(Tᵢ−) for events at or before t, p²/G(t) for those
/// event-free after t, and 0 for those censored at or before t. Equals <c>riskRegression::Score(..., metrics="brier",
/// cens.model="km")</c>.
/// </summary>
public static class BrierScore
{
    public static double At(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> predictedEventProbability, double t)
    {
        SurvivalInput.Check(time, @event, requireEvent: false);
        SurvivalInput.CheckLength(time.Length, predictedEventProbability.Length, "predictedEventProbability");
        CheckProbabilities(predictedEventProbability);
        var censoring = IpcwHorizon.Check(time, @event, t);
        return At(time, @event, predictedEventProbability, t, censoring);
    }

    private static double At(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> p, double t, CensoringDistribution censoring)
    {
        double controlWeight = 1.0 / censoring.SurvivalAt(t);
        double sum = 0;
        for (int i = 0; i < time.Length; i++)
        {
            if (time[i] > t) sum += p[i] * p[i] * controlWeight;
            else if (@event[i]) sum += (1 - p[i]) * (1 - p[i]) / censoring.SurvivalBefore(time[i]);
        }
        return sum / time.Length;
    }

    /// <summary>
    /// Integrated Brier score over [0, max(grid)] as riskRegression's <c>Score(..., summary="ibs")</c> computes it:
    /// the Brier score is a left-continuous step function starting at 0 at time 0 and stepping to BS(tₖ) at each grid
    /// time, integrated and divided by max(grid). <paramref name="predictedAt"/>(tₖ) gives every subject's event
    /// probability by tₖ.
    /// </summary>
    public static double Integrated(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> grid, Func<double, double[]> predictedAt)
    {
        SurvivalInput.Check(time, @event, requireEvent: false);
        if (grid.Length == 0) throw new ArgumentException("The time grid is empty.");
        for (int k = 1; k < grid.Length; k++)
            if (!(grid[k] > grid[k - 1])) throw new ArgumentException("The time grid must be strictly increasing.");
        var censoring = IpcwHorizon.Check(time, @event, grid[^1]);

        double area = 0;
        for (int k = 0; k < grid.Length - 1; k++)
        {
            double[] p = predictedAt(grid[k]);
            SurvivalInput.CheckLength(time.Length, p.Length, $"predictions at {grid[k]}");
            CheckProbabilities(p);
            area += At(time, @event, p, grid[k], censoring) * (grid[k + 1] - grid[k]);
        }
        return area / grid[^1];
    }

    private static void CheckProbabilities(ReadOnlySpan<double> p)
    {
        for (int i = 0; i < p.Length; i++)
            if (!(p[i] >= 0 && p[i] <= 1))
                throw new ArgumentException($"predicted probability [{i}] is {p[i]}; it must lie in [0, 1].");
    }
}
