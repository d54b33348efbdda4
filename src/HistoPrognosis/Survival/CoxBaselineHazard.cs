namespace HistoPrognosis.Survival;

/// <summary>
/// Cumulative baseline hazard H₀(t) of a fitted Cox model for covariates all 0 (R: <c>basehaz(fit, centered=FALSE)</c>),
/// a step function over the distinct event times. The Breslow estimator adds d/Σ exp(η) at each event time; with
/// Efron's correction (what survfit.coxph uses for an Efron fit) the d tied events add Σₖ 1/(Σ exp(η) − k/d·Σ_deaths exp(η)).
/// </summary>
public sealed class CoxBaselineHazard
{
    private readonly double[] _times;
    private readonly double[] _cumulative;

    private CoxBaselineHazard(double[] times, double[] cumulative, CoxTies estimator)
    {
        _times = times; _cumulative = cumulative; Estimator = estimator;
    }

    /// <summary>Breslow, or Breslow with Efron's tie correction.</summary>
    public CoxTies Estimator { get; }

    public IReadOnlyList<double> Times => _times;

    /// <summary>H₀ at each of <see cref="Times"/>, for covariates all 0.</summary>
    public IReadOnlyList<double> CumulativeHazard => _cumulative;

    /// <summary>H₀(t) for covariates all 0: 0 before the first event, constant after the last.</summary>
    public double At(double t)
    {
        int lo = 0, hi = _times.Length;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (_times[mid] <= t) lo = mid + 1; else hi = mid; }
        return lo == 0 ? 0 : _cumulative[lo - 1];
    }

    /// <param name="sortedTimes">times in ascending order</param>
    /// <param name="riskScores">exp(centred linear predictor) in the same order</param>
    /// <param name="meanEta">means·β, to move from the centred to the zero-covariate baseline</param>
    internal static CoxBaselineHazard Estimate(double[] sortedTimes, bool[] @event, double[] riskScores, CoxTies estimator, double meanEta)
    {
        int n = sortedTimes.Length;
        // Accumulate the risk set from the latest time backwards to avoid cancellation, then cumulate forwards.
        var increments = new List<(double Time, double Increment)>();
        double suffix = 0;
        var suffixAt = new double[n];
        for (int i = n - 1; i >= 0; i--) { suffix += riskScores[i]; suffixAt[i] = suffix; }
        for (int k = 0; k < n;)
        {
            int end = k;
            double deaths = 0, deathRisk = 0;
            for (; end < n && sortedTimes[end] == sortedTimes[k]; end++)
                if (@event[end]) { deaths++; deathRisk += riskScores[end]; }
            if (deaths > 0)
            {
                double s0 = suffixAt[k], increment = 0;
                if (estimator == CoxTies.Breslow) increment = deaths / s0;
                else for (int j = 0; j < deaths; j++) increment += 1 / (s0 - j / deaths * deathRisk);
                increments.Add((sortedTimes[k], increment));
            }
            k = end;
        }
        var times = new double[increments.Count];
        var cumulative = new double[increments.Count];
        double h = 0, scale = Math.Exp(-meanEta);
        for (int j = 0; j < increments.Count; j++)
        {
            h += increments[j].Increment;
            times[j] = increments[j].Time;
            cumulative[j] = h * scale;
        }
        return new CoxBaselineHazard(times, cumulative, estimator);
    }
}

/// <summary>Baseline hazard for a linear predictor fitted elsewhere (e.g. a neural network's risk score).</summary>
public static class CoxBaselineHazardEstimator
{
    /// <summary>H₀(t) for risk score 0, given every subject's linear predictor η (Breslow or Efron-corrected).</summary>
    public static CoxBaselineHazard Fit(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> linearPredictor, CoxTies estimator = CoxTies.Breslow)
    {
        SurvivalInput.Check(time, @event, minSubjects: 1);
        SurvivalInput.CheckLength(time.Length, linearPredictor.Length, "linearPredictor");
        SurvivalInput.CheckFinite(linearPredictor, "linearPredictor");
        int[] order = Ranking.OrderByTime(time);
        var sortedTimes = new double[order.Length];
        var sortedEvents = new bool[order.Length];
        var riskScores = new double[order.Length];
        for (int k = 0; k < order.Length; k++)
        {
            sortedTimes[k] = time[order[k]];
            sortedEvents[k] = @event[order[k]];
            riskScores[k] = Math.Exp(linearPredictor[order[k]]);
        }
        return CoxBaselineHazard.Estimate(sortedTimes, sortedEvents, riskScores, estimator, 0);
    }
}
