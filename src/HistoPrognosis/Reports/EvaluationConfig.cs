using HistoPrognosis.Configuration;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Reports;

/// <summary>How a run's models are judged.</summary>
public enum EvaluationProtocol
{
    /// <summary>Patient-level k-fold cross-validation (the <c>crossval</c> section).</summary>
    Crossval,
    /// <summary>One stratified patient split: train on the rest, predict and score the test share.</summary>
    Holdout,
}

/// <summary>The <c>evaluation</c> section: protocol, the held-out share and the bootstrap behind every interval.</summary>
public sealed record EvaluationConfig
{
    public EvaluationProtocol Protocol { get; init; } = EvaluationProtocol.Crossval;
    /// <summary>Holdout: share of the patients held out for testing (stratified by event).</summary>
    public double TestFraction { get; init; } = 0.3;
    /// <summary>Percentile bootstrap resamples of patients for every 95% interval (0 = none).</summary>
    public int BootstrapSamples { get; init; } = 1000;
    /// <summary>Least patients scored (the cohort of <c>evaluate</c>, the test share of a holdout run); default 2, the least for a C-index.</summary>
    public int MinPatients { get; init; } = CohortMinimum.LeastPatients;
    /// <summary>Least events among the patients scored; default 1.</summary>
    public int MinEvents { get; init; } = CohortMinimum.LeastEvents;
    /// <summary>
    /// An interval is reported only when the statistic is defined on at least this share of the bootstrap resamples
    /// (a resample without a comparable pair has no C-index); below it the statistic is reported without an interval
    /// and a warning says why, since percentiles of the few defined resamples would be biased.
    /// </summary>
    public double MinDefinedShare { get; init; } = 0.5;
    /// <summary>Groups of the calibration curve at the horizon (quantile groups of p_event_5y; deciles by default), fewer when the patients are few.</summary>
    public int CalibrationGroups { get; init; } = 10;
    /// <summary>Risk thresholds of the decision curve (net benefit at the horizon), each in (0, 1), increasing.</summary>
    public IReadOnlyList<double> DecisionThresholds { get; init; } = DecisionCurve.DefaultThresholds;
    /// <summary>Nominal coverage of the conformal lower bounds on survival time.</summary>
    public double ConformalLevel { get; init; } = 0.9;
    /// <summary>Conformal threshold c0 in months (bounds are on min(T, c0)); unset = the horizon.</summary>
    public double? ConformalCutoffMonths { get; init; }

    public CohortMinimum Minimum() =>
        new(MinPatients, MinEvents, "evaluation." + ConfigNames.Key(nameof(MinPatients)), "evaluation." + ConfigNames.Key(nameof(MinEvents)));

    public void Validate()
    {
        Minimum().Validate();
        if (MinDefinedShare is <= 0 or > 1) throw new UserInputException($"evaluation.min_defined_share must be in (0, 1], got {MinDefinedShare}");
        if (TestFraction is <= 0 or >= 1) throw new UserInputException($"evaluation.test_fraction must be in (0, 1), got {TestFraction}");
        if (BootstrapSamples is < 0 or 1) throw new UserInputException($"evaluation.bootstrap_samples must be 0 or at least 2, got {BootstrapSamples}");
        if (CalibrationGroups < 1) throw new UserInputException($"evaluation.calibration_groups must be at least 1, got {CalibrationGroups}");
        for (int k = 0; k < DecisionThresholds.Count; k++)
        {
            if (DecisionThresholds[k] is not (> 0 and < 1)) throw new UserInputException($"evaluation.decision_thresholds[{k}] must be in (0, 1), got {DecisionThresholds[k]}");
            if (k > 0 && !(DecisionThresholds[k] > DecisionThresholds[k - 1])) throw new UserInputException($"evaluation.decision_thresholds must increase, got {DecisionThresholds[k - 1]} then {DecisionThresholds[k]}");
        }
        if (ConformalLevel is not (> 0 and < 1)) throw new UserInputException($"evaluation.conformal_level must be in (0, 1), got {ConformalLevel}");
        if (ConformalCutoffMonths is double c0 && !(c0 > 0 && double.IsFinite(c0))) throw new UserInputException($"evaluation.conformal_cutoff_months must be a positive number of months, got {c0}");
    }
}

/// <summary>The <c>report</c> section.</summary>
public sealed record ReportConfig
{
    /// <summary>Heading of the run's <c>summary.md</c>.</summary>
    public string Title { get; init; } = "HistoPrognosis run";

    /// <summary>
    /// Test patients of the main arm whose slides get heatmaps in a holdout run (half of the highest, half of the
    /// lowest predicted risk); 0 = none. Needs patches with positions (slides, or <c>x, y</c> columns) and a MIL model
    /// on cached features (an end-to-end arm has none).
    /// </summary>
    public int HeatmapPatients { get; init; } = 6;

    /// <summary>How those heatmaps are drawn.</summary>
    public Heatmaps.HeatmapConfig Heatmaps { get; init; } = new();

    public void Validate()
    {
        if (HeatmapPatients < 0) throw new UserInputException($"report.heatmap_patients must be ≥ 0, got {HeatmapPatients}");
        Heatmaps.Validate();
    }
}
