using HistoPrognosis.Survival;
using static HistoPrognosis.Tests.Survival.CalibrationFixture;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public sealed class ConformalSurvivalTests
{
    [Fact]
    public void Without_censoring_the_quantile_is_the_floor_alpha_n_plus_one_smallest_score()
    {
        // Nine events at e^1..e^9 (shuffled), risk 0, c0 beyond them: scores log T = 1..9, all weights 1.
        // α = 0.2: ⌊0.2·10⌋ = 2 → q = 2, L = e².
        double[] logT = [5, 2, 9, 1, 7, 3, 8, 4, 6];
        var time = logT.Select(Math.Exp).ToArray();
        var fit = ConformalSurvival.Calibrate(time, Enumerable.Repeat(true, 9).ToArray(), new double[9], 0.8, 1e6);
        Assert.Equal(2, fit.Quantile!.Value, 12);
        Assert.Equal(Math.Exp(2), fit.LowerBound(0), 9);
        Assert.Equal(Math.Exp(1), fit.LowerBound(1), 9); // higher risk, lower bound: exp(q − r)
        Assert.Equal(1e6, fit.LowerBound(-100), 6);      // capped at c0
        // Level 0.95 with 9 patients: ⌊0.05·10⌋ = 0 → no finite quantile, every bound 0.
        var tooFew = ConformalSurvival.Calibrate(time, Enumerable.Repeat(true, 9).ToArray(), new double[9], 0.95, 1e6);
        Assert.Null(tooFew.Quantile);
        Assert.Equal(0, tooFew.LowerBound(0));
    }

    [Fact]
    public void Coverage_bounds_and_ipcw_match_hand_computation()
    {
        // Bounds 4, 4, 4, 9: 5 ≥ 4 covered; 10+ ≥ 4 covered; 3+ < 4 censored: unknown; event at 8 < 9: missed.
        // Censoring KM: 3+ with 4 at risk → G = 3/4, so G(4−) = G(8−) = 3/4: IPCW = (2·4/3) / (3·4/3) = 2/3.
        var c = ConformalSurvival.Coverage([5, 10, 3, 8], [true, false, false, true], [4, 4, 4, 9]);
        Assert.Equal((2, 1, 1), (c.Covered, c.Missed, c.Unknown));
        Assert.Equal(0.5, c.Lower, 12);
        Assert.Equal(0.75, c.Upper, 12);
        Assert.Equal(2.0 / 3, c.Ipcw!.Value, 12);
    }

    [Fact]
    public void Matches_the_independent_python_reference_on_a_fixed_cohort()
    {
        var d = Cohort();
        var e = Expected().GetProperty("conformal");
        var fit = ConformalSurvival.Calibrate(d.Time, d.Event, d.Risk, e.Num("level"), e.Num("cutoff"));
        Assert.Equal(e.GetProperty("known_scores").GetInt32(), fit.KnownScores);
        Close(e.Num("quantile"), fit.Quantile!.Value, 1e-12, "quantile");
        var bounds = d.Risk.Select(fit.LowerBound).ToArray();
        var expectedBounds = e.GetProperty("bounds").EnumerateArray().Select(b => b.GetDouble()).ToArray();
        for (int i = 0; i < bounds.Length; i++) Close(expectedBounds[i], bounds[i], 1e-9, $"bound {i}");
        var coverage = ConformalSurvival.Coverage(d.Time, d.Event, bounds);
        Assert.Equal(e.GetProperty("covered").GetInt32(), coverage.Covered);
        Assert.Equal(e.GetProperty("missed").GetInt32(), coverage.Missed);
        Close(e.Num("lower"), coverage.Lower, 1e-12, "lower");
        Close(e.Num("upper"), coverage.Upper, 1e-12, "upper");
        Close(e.Num("ipcw"), coverage.Ipcw!.Value, 1e-12, "ipcw");
    }

    [Theory]
    [InlineData(0.9, 21)]
    [InlineData(0.8, 22)]
    public void Coverage_on_a_large_simulated_cohort_is_near_the_nominal_level(double level, int seed)
    {
        // Exponential survival, hazard 0.02·exp(x), uniform censoring on (0, 200); risk = x; c0 = 60.
        var (d, hazard) = Simulate(4000, seed, baseRate: 0.02, censorMax: 200);
        var run = ConformalSplitEvaluation.Run(d.Time, d.Event, d.Risk, level, 60, seed);
        var test = Enumerable.Range(0, d.Time.Length).Where(i => run.Parts[i] == ConformalPart.Test).ToArray();
        Assert.Equal(2000, test.Length);
        // True coverage, known from the distribution: P(T ≥ L | x) = exp(−λ(x)·L).
        double truth = test.Average(i => Math.Exp(-hazard[i] * run.LowerBounds[i]));
        Assert.InRange(truth, level - 0.025, level + 0.03); // valid, and not trivially conservative
        var c = run.Result.TestCoverage;
        Assert.InRange(c.Ipcw!.Value, truth - 0.03, truth + 0.03);
        // The bounds bracket the sample's coverage, which is within a few binomial SDs (√(0.09/2000) ≈ 0.007) of the truth.
        Assert.True(c.Lower - 0.02 <= truth && truth <= c.Upper + 0.02, $"{c.Lower} ≤ {truth} ≤ {c.Upper}");
        Assert.True(c.Lower < c.Upper);
        Assert.True(run.Result.MedianTestLowerBoundMonths > 0);
    }

    [Fact]
    public void The_split_is_seeded_stratified_by_event_and_halves_the_patients()
    {
        bool[] ev = Enumerable.Range(0, 21).Select(i => i % 3 == 0).ToArray(); // 7 events, 14 censored
        var (cal, test) = ConformalSurvival.Split(ev, 5);
        Assert.Equal((11, 10), (cal.Length, test.Length));
        Assert.Equal(4, cal.Count(i => ev[i])); // 7 events: 4 / 3
        Assert.Equal(3, test.Count(i => ev[i]));
        Assert.Empty(cal.Intersect(test));
        Assert.Equal(cal, ConformalSurvival.Split(ev, 5).Calibration);
        Assert.NotEqual(cal, ConformalSurvival.Split(ev, 6).Calibration);
    }
}
