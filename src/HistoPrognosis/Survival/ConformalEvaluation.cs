namespace HistoPrognosis.Survival;

/// <summary>Which half of the conformal split a patient is in.</summary>
public enum ConformalPart
{
    /// <summary>Its score sets the quantile.</summary>
    Calibration,
    /// <summary>Its bound is checked for coverage.</summary>
    Test,
}

/// <summary>
/// Conformal bounds calibrated on one half of the patients and checked on the other (what results.json reports):
/// nominal level, c₀, the log-scale quantile q (null: −∞, every bound 0), the halves' sizes and the test coverage.
/// </summary>
public sealed record ConformalResult(double NominalLevel, double CutoffMonths, int CalibrationPatients, int CalibrationKnownScores,
    int TestPatients, double? Quantile, ConformalCoverage TestCoverage, double MedianTestLowerBoundMonths);

/// <summary>The result and every patient's bound (in input order) with its part, for <c>conformal.csv</c>.</summary>
public sealed record ConformalEvaluation(ConformalResult Result, IReadOnlyList<double> LowerBounds, IReadOnlyList<ConformalPart> Parts);

public static class ConformalSplitEvaluation
{
    /// <summary>
    /// Splits the patients in halves (<see cref="ConformalSurvival.Split"/>), calibrates on one and measures coverage on
    /// the other. Throws <see cref="ArgumentException"/> when a half is empty or the calibration is undefined.
    /// </summary>
    public static ConformalEvaluation Run(double[] time, bool[] @event, double[] risk, double level, double cutoff, int seed)
    {
        var (calibration, test) = ConformalSurvival.Split(@event, seed);
        if (calibration.Length == 0 || test.Length == 0) throw new ArgumentException($"{time.Length} patient(s) cannot be split into a calibration and a test half.");
        var fit = ConformalSurvival.Calibrate(Pick(time, calibration), Pick(@event, calibration), Pick(risk, calibration), level, cutoff);
        var bounds = risk.Select(fit.LowerBound).ToArray();
        var parts = new ConformalPart[time.Length];
        foreach (int i in test) parts[i] = ConformalPart.Test;
        var testBounds = Pick(bounds, test);
        var coverage = ConformalSurvival.Coverage(Pick(time, test), Pick(@event, test), testBounds);
        Array.Sort(testBounds);
        var result = new ConformalResult(level, cutoff, calibration.Length, fit.KnownScores, test.Length, fit.Quantile, coverage,
            Bootstrap.Quantile7(testBounds, 0.5));
        return new ConformalEvaluation(result, bounds, parts);
    }

    private static T[] Pick<T>(T[] values, int[] indices) => indices.Select(i => values[i]).ToArray();
}
