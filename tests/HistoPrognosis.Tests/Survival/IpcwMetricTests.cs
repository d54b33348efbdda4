using HistoPrognosis.Survival;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public class IpcwMetricTests
{
    [Theory]
    [InlineData("gbsg")]
    [InlineData("rotterdam")]
    public void TdAuc_and_Brier_at_1825_match_the_shared_r_extra_reference(string cohort)
    {
        var s = Table($"r-extra/{cohort}/scores.csv");
        var time = s.Numbers("time");
        var ev = s.Events("status");
        var auc = Rows($"r-extra/{cohort}/tdauc.csv").Single();
        var brier = Rows($"r-extra/{cohort}/brier.csv").Single();

        Close(auc.Num("auc"), TimeDependentAuc.At(time, ev, s.Numbers("m"), auc.Num("horizon")), 1e-8, "auc");
        // risk_at_horizon is printed with 12 decimals, so the Brier score can only be checked to ~1e-12 from it.
        Close(brier.Num("brier"), BrierScore.At(time, ev, s.Numbers("risk_at_horizon"), brier.Num("horizon")), 1e-8, "brier");
    }

    [Theory]
    [InlineData("gbsg")]
    [InlineData("rotterdam")]
    public void TdAuc_matches_R_at_several_times_for_tied_and_continuous_markers(string cohort)
    {
        var c = Load(cohort);
        double[] lp = CoxRegression.Fit(c.X, c.Time, c.Event, names: c.Names).LinearPredictor.ToArray();
        foreach (var row in Rows("more/tdauc.csv").Where(r => r["cohort"] == cohort))
        {
            double[] marker = row["marker"] == "nodes" ? c.Nodes : lp;
            Close(row.Num("auc"), TimeDependentAuc.At(c.Time, c.Event, marker, row.Num("time")), 1e-8, $"{cohort} {row["marker"]} t={row["time"]}");
        }
    }

    [Theory]
    [InlineData("gbsg")]
    [InlineData("rotterdam")]
    public void Brier_and_integrated_Brier_on_a_grid_match_R(string cohort)
    {
        var g = Table($"more/cox_risk_grid_{cohort}.csv");
        var time = g.Numbers("time");
        var ev = g.Events("status");
        double[] grid = [365, 730, 1095, 1460, 1825];
        var expected = Rows("more/brier.csv").Where(r => r["cohort"] == cohort).ToDictionary(r => r.Num("time"));
        foreach (double t in grid)
        {
            Close(expected[t].Num("brier"), BrierScore.At(time, ev, g.Numbers($"p{t}"), t), 1e-8, $"brier t={t}");
            double[] prefix = grid.Where(x => x <= t).ToArray();
            if (prefix.Length > 1)
                Close(expected[t].Num("ibs"), BrierScore.Integrated(time, ev, prefix, u => g.Numbers($"p{u}")), 1e-8, $"ibs to {t}");
        }
    }

    [Fact]
    public void Toy_with_tied_event_and_censoring_times_matches_R()
    {
        var t = Table("more/toy.csv");
        var expected = Rows("more/toy_expected.csv").ToDictionary(r => r["what"], r => r.Num("value"));
        double[] time = t.Numbers("time"), risk = t.Numbers("risk");
        bool[] ev = t.Events("event");
        double[] p = risk.Select(r => Math.Min(r / 7, 1)).ToArray();
        Close(expected["auc_t2"], TimeDependentAuc.At(time, ev, risk, 2), 1e-12, "auc t=2");
        Close(expected["auc_t4.5"], TimeDependentAuc.At(time, ev, risk, 4.5), 1e-12, "auc t=4.5");
        Close(expected["brier_t2"], BrierScore.At(time, ev, p, 2), 1e-12, "brier t=2");
        Close(expected["brier_t4.5"], BrierScore.At(time, ev, p, 4.5), 1e-12, "brier t=4.5");
    }

    [Fact]
    public void Censoring_distribution_lets_events_leave_the_risk_set_first()
    {
        // prodlim(Hist(time, status) ~ 1, reverse = TRUE) on this data gives 1, 6/7, 5/7, 15/28, 5/14, 0.
        double[] time = [1, 2, 2, 2, 3, 4, 4, 5, 6, 6];
        bool[] ev = [true, false, true, true, false, true, false, false, true, false];
        var g = CensoringDistribution.Fit(time, ev);
        Close(6.0 / 7, g.SurvivalAt(2), 1e-15, "G(2)");
        Close(1.0, g.SurvivalBefore(2), 1e-15, "G(2-)");
        Close(15.0 / 28, g.SurvivalAt(4.5), 1e-15, "G(4.5)");
        Close(0, g.SurvivalAt(6), 1e-15, "G(6)");
    }

    [Fact]
    public void Horizons_outside_follow_up_and_bad_probabilities_are_refused()
    {
        double[] time = [1, 2, 3, 4];
        bool[] ev = [true, false, true, false];
        Assert.Throws<ArgumentException>(() => TimeDependentAuc.At(time, ev, [1, 2, 3, 4], 4));
        Assert.Throws<ArgumentException>(() => TimeDependentAuc.At(time, ev, [1, 2, 3, 4], double.NaN));
        Assert.Throws<ArgumentException>(() => TimeDependentAuc.At(time, ev, [1, 2, 3, 4], 0.5)); // no case yet
        Assert.Throws<ArgumentException>(() => BrierScore.At(time, ev, [0.1, 1.2, 0.3, 0.4], 2));
        Assert.Throws<ArgumentException>(() => BrierScore.At(time, ev, [0.1, 0.2, 0.3, 0.4], 10));
    }
}
