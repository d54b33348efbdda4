using HistoPrognosis.Survival;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public class BootstrapTests
{
    [Fact]
    public void Harrell_bootstrap_is_seeded_and_equals_a_sequential_recomputation()
    {
        var t = Table("cindex_gbsg_nodes.csv");
        double[] time = t.Numbers("time"), risk = t.Numbers("risk");
        bool[] ev = t.Events("event");
        var a = Bootstrap.HarrellC(time, ev, risk, replicates: 200, seed: 42);
        var b = Bootstrap.HarrellC(time, ev, risk, replicates: 200, seed: 42);
        var other = Bootstrap.HarrellC(time, ev, risk, replicates: 200, seed: 43);
        Assert.Equal(a, b);
        Assert.NotEqual(a.Lower, other.Lower);

        // Recompute sequentially from the documented resampling to check the percentile rule (R's type 7).
        var values = Enumerable.Range(0, 200).Select(r =>
        {
            var (bt, be, br) = Bootstrap.Gather(Bootstrap.ResampleIndices(time.Length, 42, r), time, ev, risk);
            return Concordance.Harrell(bt, be, br).Value;
        }).Order().ToArray();
        Close(values[4] + 0.975 * (values[5] - values[4]), a.Lower, 1e-15, "lower = type-7 quantile at 0.025");
        Close(values[194] + 0.025 * (values[195] - values[194]), a.Upper, 1e-15, "upper = type-7 quantile at 0.975");
        Close(0.6452446796, a.Estimate, 1e-8, "estimate");
        Assert.True(a.Lower < a.Estimate && a.Estimate < a.Upper);
        Assert.InRange(a.Upper - a.Lower, 0.02, 0.15);
    }

    [Fact]
    public void Paired_difference_of_a_model_with_itself_is_exactly_zero_and_of_two_models_is_seeded()
    {
        var t = Table("cindex_gbsg_coxlp.csv");
        var n = Table("cindex_gbsg_nodes.csv");
        double[] time = t.Numbers("time"), lp = t.Numbers("risk"), nodes = n.Numbers("risk");
        bool[] ev = t.Events("event");
        IndexStatistic c(double[] score) => idx =>
        {
            var (bt, be, bs) = Bootstrap.Gather(idx, time, ev, score);
            return Concordance.Harrell(bt, be, bs).Value;
        };
        var same = Bootstrap.PairedDifference(time.Length, c(lp), c(lp), replicates: 50, seed: 1);
        Assert.Equal((0.0, 0.0, 0.0), (same.Estimate, same.Lower, same.Upper));
        var diff = Bootstrap.PairedDifference(time.Length, c(lp), c(nodes), replicates: 100, seed: 1);
        Close(0.6879283395 - 0.6452446796, diff.Estimate, 1e-8, "difference");
        Assert.True(diff.Lower < diff.Estimate && diff.Estimate < diff.Upper);
    }

    [Fact]
    public void Undefined_replicates_are_counted_not_hidden()
    {
        // One event among 10: many resamples miss it and C is undefined there.
        double[] time = Enumerable.Range(1, 10).Select(i => (double)i).ToArray();
        bool[] ev = time.Select(x => x == 3).ToArray();
        var r = Bootstrap.HarrellC(time, ev, time.Select(x => -x).ToArray(), replicates: 100, seed: 5);
        Assert.True(r.Failed > 0);
        Assert.Equal(100, r.Replicates + r.Failed);
    }
}
