using HistoPrognosis.Survival;

namespace HistoPrognosis.Tests.Survival;

public sealed class RiskGroupsTests
{
    [Fact]
    public void SplitsAtTheMedianWithTiesGoingLow()
    {
        Assert.Equal([0, 1, 0, 1], RiskGroups.AboveMedian([0.1, 0.9, 0.5, 0.7]));
        Assert.Equal([0, 0, 1, 0, 1], RiskGroups.AboveMedian([1, 2, 3, 2, 5]));
        Assert.Equal([0, 0, 0], RiskGroups.AboveMedian([4, 4, 4]));
        Assert.Empty(RiskGroups.AboveMedian([]));
    }
}
