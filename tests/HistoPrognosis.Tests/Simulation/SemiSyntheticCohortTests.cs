using HistoPrognosis.Data;
using HistoPrognosis.Simulation;

namespace HistoPrognosis.Tests.Simulation;

public sealed class SemiSyntheticCohortTests
{
    private static readonly PatchTable Table = PatchTable.Load(TestPaths.DemoLabels, requireLabel: true);

    [Fact]
    public void FollowsTheSpecFormulas()
    {
        var cohort = SemiSyntheticCohort.Simulate(Table, seed: 42);
        Assert.Equal(Table.PatientIds, cohort.Select(s => s.PatientId));
        foreach (var s in cohort)
        {
            var patches = Table.Patches.Where(p => p.PatientId == s.PatientId).ToList();
            Assert.Equal(patches.Average(p => (double)p.Label!), s.TumourBurden, 12);
            Assert.InRange(s.Age, 30, 90);
            Assert.Equal((s.TumourBurden - 0.30) / 0.25 + 0.4 * (s.Age - 60) / 10.0, s.Eta, 12);
            Assert.True(s.TimeMonths > 0 && s.TimeMonths <= 150);
            if (!s.Event) Assert.True(s.TimeMonths >= 24, "censoring times are drawn from U(24, 150)");
        }
    }

    [Fact]
    public void SameSeedSameCohortDifferentSeedDifferentCohort()
    {
        var a = SemiSyntheticCohort.Simulate(Table, 3);
        var b = SemiSyntheticCohort.Simulate(Table, 3);
        var c = SemiSyntheticCohort.Simulate(Table, 4);
        Assert.Equal(a, b);
        Assert.NotEqual(a.Select(s => s.TimeMonths), c.Select(s => s.TimeMonths));
    }

    [Fact]
    public void EarlyEventsFollowTheWeibullLaw()
    {
        // Censoring is never before 24 months, so whether T ≤ 24 is always observed and, per subject,
        // P(T ≤ 24) = 1 − exp(−(24/180)^1.3 · e^η). Compare the observed count with its expectation.
        var cohort = Enumerable.Range(0, 40).SelectMany(seed => SemiSyntheticCohort.Simulate(Table, seed)).ToList();
        double expected = 0, variance = 0;
        foreach (var s in cohort)
        {
            double p = 1 - Math.Exp(-Math.Pow(24 / 180.0, 1.3) * Math.Exp(s.Eta));
            expected += p;
            variance += p * (1 - p);
        }
        int observed = cohort.Count(s => s.Event && s.TimeMonths <= 24);
        double z = (observed - expected) / Math.Sqrt(variance);
        Assert.True(Math.Abs(z) < 4, $"observed {observed} early events, expected {expected:F1} (z = {z:F2})");
        Assert.True(expected > 100, "the check needs enough early events to have power");
    }

    [Fact]
    public void FiveYearStatusRule()
    {
        Assert.Equal(1, new CohortSubject("a", 30, true, 60, 0, 0).FiveYearStatus);
        Assert.Equal(0, new CohortSubject("a", 61, true, 60, 0, 0).FiveYearStatus);
        Assert.Equal(0, new CohortSubject("a", 80, false, 60, 0, 0).FiveYearStatus);
        Assert.Null(new CohortSubject("a", 40, false, 60, 0, 0).FiveYearStatus);
    }
}
