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

    public CohortMinimum Minimum() =>
        new(MinPatients, MinEvents, "evaluation." + ConfigNames.Key(nameof(MinPatients)), "evaluation." + ConfigNames.Key(nameof(MinEvents)));

    public void Validate()
    {
        Minimum().Validate();
        if (MinDefinedShare is <= 0 or > 1) throw new UserInputException($"evaluation.min_defined_share must be in (0, 1], got {MinDefinedShare}");
        if (TestFraction is <= 0 or >= 1) throw new UserInputException($"evaluation.test_fraction must be in (0, 1), got {TestFraction}");
        if (BootstrapSamples is < 0 or 1) throw new UserInputException($"evaluation.bootstrap_samples must be 0 or at least 2, got {BootstrapSamples}");
    }
}

/// <summary>The <c>report</c> section.</summary>
public sealed record ReportConfig
{
    /// <summary>Heading of the run's <c>summary.md</c>.</summary>
    public string Title { get; init; } = "HistoPrognosis run";
}
