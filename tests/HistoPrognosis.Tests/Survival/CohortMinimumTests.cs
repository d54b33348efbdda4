using HistoPrognosis.Survival;

namespace HistoPrognosis.Tests.Survival;

/// <summary>Stage minimums say the stage, the count and the key; a cohort without a comparable pair is refused; bootstrap intervals need enough defined resamples.</summary>
public sealed class CohortMinimumTests
{
    private static readonly CohortMinimum Training = new(3, 2, "model.min_train_patients", "model.min_train_events");

    [Theory]
    [InlineData(new double[] { 5, 7 }, new[] { true, false }, "fold 1: 2 patient(s), at least 3 needed (model.min_train_patients)")]
    [InlineData(new double[] { 5, 7, 9 }, new[] { true, false, false }, "fold 1: 1 event(s) among 3 patients, at least 2 needed (model.min_train_events)")]
    [InlineData(new double[] { 0, 0, 0 }, new[] { true, true, true }, "fold 1: no two of the 3 patients can be compared")]
    [InlineData(new double[] { 9, 9, 3 }, new[] { true, true, false }, "fold 1: no two of the 3 patients can be compared")]
    public void TooSmallOrIncomparableCohortsAreRefused(double[] time, bool[] events, string expected) =>
        Assert.Contains(expected, Assert.Throws<UserInputException>(() => Training.Check("fold 1", time, events)).Message);

    [Fact]
    public void ComparablePairsCountWhatHarrellCompares()
    {
        Assert.Equal(0, Concordance.ComparablePairs([4.0], [true]));
        Assert.Equal(0, Concordance.ComparablePairs([0.0, 0, 0], [true, true, true])); // all events at t = 0
        Assert.Equal(1, Concordance.ComparablePairs([0.0, 0], [true, false]));          // an event tied with a censoring
        Assert.Equal(Concordance.Harrell([1.0, 2, 3, 4], [true, false, true, false], [4.0, 3, 2, 1]).ComparablePairs,
            Concordance.ComparablePairs([1.0, 2, 3, 4], [true, false, true, false]));
        Training.Check("ok", [1.0, 2, 3, 4], [true, false, true, false]);
    }

    [Fact]
    public void MinimumsBelowWhatAnyStageNeedsAreRefused() =>
        Assert.Contains("model.min_train_patients must be at least 2, got 1", Assert.Throws<UserInputException>(() => (Training with { Patients = 1 }).Validate()).Message);

    [Fact]
    public void AnIntervalNeedsTheShareOfDefinedResamples()
    {
        // One event among 6: about a third of the resamples hold no event, so Harrell C is undefined on them.
        double[] time = [1, 2, 3, 4, 5, 6], risk = [6, 5, 4, 3, 2, 1];
        bool[] events = [true, false, false, false, false, false];
        double Harrell(ReadOnlySpan<int> idx)
        {
            var (t, e, r) = Bootstrap.Gather(idx, time, events, risk);
            return Concordance.Harrell(t, e, r).Value;
        }
        var lenient = Bootstrap.Estimate(6, Harrell, 200, 3, minDefinedShare: 0.5)!;
        Assert.NotNull(lenient.Lower);
        Assert.InRange(lenient.UndefinedResamples, 40, 120);
        var strict = Bootstrap.Estimate(6, Harrell, 200, 3, minDefinedShare: 0.95)!;
        Assert.Equal(lenient.Value, strict.Value);
        Assert.Null(strict.Lower);
        Assert.Equal("1.000", strict.Format());
        Assert.Null(Bootstrap.Estimate(6, _ => throw new ArgumentException("undefined"), 10, 1));
        Assert.Equal("undefined", Estimate.Format(null));
    }
}
