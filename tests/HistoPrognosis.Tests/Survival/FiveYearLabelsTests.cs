using HistoPrognosis.Survival;

namespace HistoPrognosis.Tests.Survival;

public class FiveYearLabelsTests
{
    [Fact]
    public void Labels_follow_the_explicit_censoring_rule()
    {
        double[] time = [12, 60, 60, 61, 61, 30, 0];
        bool[] ev = [true, true, false, true, false, false, true];
        var labels = FiveYearLabels.Create(time, ev, FiveYearLabels.HorizonMonths);
        Assert.Equal(new bool?[] { true, true, null, false, false, null, true }, labels);
    }

    [Fact]
    public void Bad_horizon_is_refused() =>
        Assert.Throws<ArgumentException>(() => FiveYearLabels.Create([1.0], [true], 0));
}
