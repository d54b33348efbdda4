using HistoPrognosis.Survival;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public class KaplanMeierTests
{
    [Theory]
    [InlineData("gbsg_rfs", "gbsg")]
    [InlineData("rotterdam_os", "rotterdam")]
    public void Curve_matches_R_survfit_row_by_row(string refName, string cohort)
    {
        var c = Load(cohort);
        var km = KaplanMeier.Fit(c.Time, c.Event);
        var expected = Table($"km_{refName}.csv");
        var full = Table($"more/km_full_{cohort}.csv");
        Assert.Equal(expected.Numbers("time"), km.Time);
        Assert.Equal(expected.Numbers("n_risk").Select(v => (int)v), km.NRisk);
        Assert.Equal(expected.Numbers("n_event").Select(v => (int)v), km.NEvent);
        Assert.Equal(expected.Numbers("n_censor").Select(v => (int)v), km.NCensor);
        double[] surv = full.Numbers("surv"), se = full.Numbers("std_err");
        string[] lower = full.Strings("lower"), upper = full.Strings("upper");
        double[] surv10 = expected.Numbers("surv");
        for (int i = 0; i < km.Time.Count; i++)
        {
            Close(surv10[i], km.Survival[i], 1e-8, $"surv row {i}");
            Close(surv[i], km.Survival[i], 1e-12, $"surv row {i}");
            Close(se[i], km.StdErr[i], 1e-10, $"std.err row {i}");
            if (lower[i] == "NA") Assert.True(double.IsNaN(km.Lower[i]));
            else Close(double.Parse(lower[i], System.Globalization.CultureInfo.InvariantCulture), km.Lower[i], 1e-10, $"lower row {i}");
            if (upper[i] == "NA") Assert.True(double.IsNaN(km.Upper[i]));
            else Close(double.Parse(upper[i], System.Globalization.CultureInfo.InvariantCulture), km.Upper[i], 1e-10, $"upper row {i}");
        }
    }

    [Theory]
    [InlineData("gbsg")]
    [InlineData("rotterdam")]
    public void Summary_at_times_and_median_match_R(string cohort)
    {
        var c = Load(cohort);
        var km = KaplanMeier.Fit(c.Time, c.Event);
        foreach (var row in Rows($"r-extra/{cohort}/km.csv"))
        {
            var at = km.At(row.Num("time"));
            Close(row.Num("surv"), at.Survival, 1e-8, "surv");
            Close(row.Num("lower"), at.Lower, 1e-8, "lower");
            Close(row.Num("upper"), at.Upper, 1e-8, "upper");
            Assert.Equal((int)row.Num("n_risk"), at.NRisk);
        }
        var median = Rows("more/km_median.csv").Single(r => r["cohort"] == cohort);
        Assert.Equal(median.Num("median"), km.Median);
        Assert.Equal(median.Num("lower"), km.MedianConfidenceInterval.Lower);
        Assert.Equal(median.Num("upper"), km.MedianConfidenceInterval.Upper);
    }

    [Fact]
    public void Median_on_a_flat_half_is_the_midpoint_as_in_R()
    {
        var km = KaplanMeier.Fit([1, 2, 3, 4], [true, true, true, true]);
        Assert.Equal(Rows("more/km_median_toy.csv").Single().Num("median"), km.Median);
        Assert.True(double.IsNaN(KaplanMeier.Fit([1, 2, 3, 4], [true, false, false, false]).Median));
    }

    [Fact]
    public void Survival_beyond_follow_up_is_refused()
    {
        var km = KaplanMeier.Fit([1, 2, 3], [true, false, true]);
        Assert.Equal(1.0, km.SurvivalAt(0.5));
        Assert.Equal(2.0 / 3, km.SurvivalAt(2.5), 15);
        Assert.Throws<ArgumentException>(() => km.SurvivalAt(3.5));
    }
}
