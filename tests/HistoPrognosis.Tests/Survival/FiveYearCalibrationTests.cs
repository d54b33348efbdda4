using HistoPrognosis.Survival;
using static HistoPrognosis.Tests.Survival.CalibrationFixture;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public sealed class FiveYearCalibrationTests
{
    // Ten patients, horizon 60; sorted by predicted risk p:
    //   p:    0.10 0.15 0.20 0.25 0.30 | 0.50 0.55 0.60 0.70 0.80
    //   time: 70+  80+  30   65+  20+  | 10   40   90+  50+  25      (+ = censored)
    private static readonly double[] HandTime = [70, 80, 30, 65, 20, 10, 40, 90, 50, 25];
    private static readonly bool[] HandEvent = [false, false, true, false, false, true, true, false, false, true];
    private static readonly double[] HandP = [0.10, 0.15, 0.20, 0.25, 0.30, 0.50, 0.55, 0.60, 0.70, 0.80];

    [Fact]
    public void Hand_computed_ten_patient_cohort_gives_two_groups_KM_risks_and_O_over_E()
    {
        // 10 patients / 5 per group → 2 groups though 10 were asked for.
        var groups = CalibrationCurve.Compute(HandTime, HandEvent, HandP, 60, requestedGroups: 10);
        Assert.Equal(2, groups.Count);
        // Low group: 20+ leaves, event at 30 with 4 at risk → S(60) = 3/4, risk 0.25; Greenwood σ² = 1/(4·3).
        var low = groups[0];
        Assert.Equal((5, 1), (low.Patients, low.Events));
        Assert.Equal(0.20, low.MeanPredicted, 12);
        Assert.Equal(0.25, low.Observed!.Value, 12);
        // log(−log) interval: S^exp(∓zσ/log S) with z = 1.959964, σ = sqrt(1/12), log S = log 0.75.
        double z = 1.959963984540054, sigma = Math.Sqrt(1.0 / 12), logS = Math.Log(0.75);
        Assert.Equal(1 - Math.Pow(0.75, Math.Exp(z * sigma / logS)), low.ObservedLower!.Value, 12);
        Assert.Equal(1 - Math.Pow(0.75, Math.Exp(-z * sigma / logS)), low.ObservedUpper!.Value, 12);
        Assert.True(low.ObservedLower < 0.25 && low.ObservedUpper > 0.25);
        // High group: events at 10 (5 at risk), 25 (4), 40 (3): S = 4/5·3/4·2/3 = 2/5, risk 0.6; mean p = 3.15/5.
        var high = groups[1];
        Assert.Equal((5, 3), (high.Patients, high.Events));
        Assert.Equal(0.63, high.MeanPredicted, 12);
        Assert.Equal(0.6, high.Observed!.Value, 12);
        // Everyone: S(60) = 9/10·7/8·6/7·5/6 = 0.5625, risk 0.4375; mean p = 0.415 → O/E = 0.4375/0.415.
        Assert.Equal(0.4375 / 0.415, FiveYearCalibration.ObservedExpected(HandTime, HandEvent, HandP, 60), 12);
    }

    [Fact]
    public void Intercept_and_slope_have_closed_forms_on_uncensored_two_level_predictions()
    {
        // Nobody censored by 60 (all weights 1). Five patients at p = 0.2 with 2 events by 60, five at p = 0.5 with 4.
        // Two levels make the slope model saturated: logit(ȳ_g) = a + b·logit(p_g), so
        // b = (logit 0.8 − logit 0.4) / (logit 0.5 − logit 0.2) = (log 4 − log(2/3)) / (0 − log(1/4)) = log 6 / log 4.
        // With the slope fixed at 1 the score equation is Σ y = Σ σ(a + logit pᵢ): 6 = 5σ(a − log 4) + 5σ(a), solved below
        // by bisection (σ is increasing).
        double[] time = [10, 20, 70, 80, 90, 15, 25, 35, 45, 75];
        bool[] ev = [true, true, true, false, true, true, true, true, true, false];
        double[] p = [0.2, 0.2, 0.2, 0.2, 0.2, 0.5, 0.5, 0.5, 0.5, 0.5];
        Assert.Equal(Math.Log(6) / Math.Log(4), FiveYearCalibration.Slope(time, ev, p, 60), 9);
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        double lo = -10, hi = 10;
        for (int k = 0; k < 200; k++) { double mid = (lo + hi) / 2; if (5 * Sigmoid(mid - Math.Log(4)) + 5 * Sigmoid(mid) < 6) lo = mid; else hi = mid; }
        Assert.Equal(lo, FiveYearCalibration.Intercept(time, ev, p, 60), 9);
        // Everyone at p = 0.2 with 6 of 10 events: σ(a + logit 0.2) = 0.6, a = logit 0.6 − logit 0.2 = log 1.5 + log 4 = log 6.
        Assert.Equal(Math.Log(6), FiveYearCalibration.Intercept(time, ev, Enumerable.Repeat(0.2, 10).ToArray(), 60), 9);
    }

    [Fact]
    public void Censoring_before_the_horizon_reweights_the_known_statuses()
    {
        // Censored at 30, 9 at risk there (after the events at 10, 20): G = 8/9 from 30 on. Known: events at 10, 20
        // (weight 1/G(t−) = 1) and 40, 50 (weight 9/8), six followed beyond 60 (weight 1/G(60) = 9/8). All p = 0.3:
        // σ(a + logit 0.3) = weighted share of events = (2 + 18/8) / (2 + 18/8 + 54/8) = 17/44, a = logit(17/44) − logit(0.3).
        // (Unweighted, dropping the censored patient, it would be 4/10.)
        double[] time = [10, 20, 30, 40, 50, 61, 62, 63, 64, 65, 66];
        bool[] ev = [true, true, false, true, true, false, false, false, false, false, false];
        double[] p = Enumerable.Repeat(0.3, 11).ToArray();
        static double Logit(double v) => Math.Log(v / (1 - v));
        Assert.Equal(Logit(17.0 / 44) - Logit(0.3), FiveYearCalibration.Intercept(time, ev, p, 60), 9);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void The_spline_basis_is_cubic_between_knots_and_linear_beyond_them(int knots)
    {
        var x = Enumerable.Range(0, 200).Select(i => i / 10.0).ToArray(); // ≥ 100 values: knots at the percentiles
        var spline = RestrictedCubicSpline.AtHarrellPercentiles(x, knots);
        Assert.Equal(knots == 3 ? new[] { 1.99, 9.95, 17.91 } : new[] { 0.995, 6.965, 12.935, 18.905 }, spline.Knots.Select(k => Math.Round(k, 6)));
        double first = spline.Knots[0], last = spline.Knots[^1], scale = (last - first) * (last - first);
        for (int c = 1; c < spline.Columns; c++)
        {
            // Zero below the first knot; zero second difference above the last one (restricted to be linear).
            Assert.Equal(0, spline.Basis(first - 1)[c]);
            double a = spline.Basis(last + 1)[c], b = spline.Basis(last + 2)[c], d = spline.Basis(last + 3)[c];
            Assert.Equal(0, d - 2 * b + a, 9);
        }
        // 3 knots, between the 2nd and 3rd: ((x − t1)³ − (x − t2)³·(t3 − t1)/(t3 − t2)) / (t3 − t1)².
        if (knots == 3)
        {
            double t1 = spline.Knots[0], t2 = spline.Knots[1], t3 = spline.Knots[2], v = 12;
            Assert.Equal((Math.Pow(v - t1, 3) - Math.Pow(v - t2, 3) * (t3 - t1) / (t3 - t2)) / scale, spline.Basis(v)[1], 12);
        }
    }

    [Fact]
    public void A_group_not_followed_to_the_horizon_has_null_observed_risk_and_one_that_reached_zero_has_risk_one()
    {
        // Group 1 (lowest p): followed to 30 only, survival 1/2 there → undefined at 60.
        // Group 2: everyone has an event by 20 → S = 0 from then on, risk 1 at 60, no interval.
        double[] time = [5, 30, 30, 10, 30, 8, 9, 10, 12, 20, 70, 80, 90, 100, 110];
        bool[] ev = [true, false, false, true, false, true, true, true, true, true, false, false, false, false, false];
        double[] p = [.1, .11, .12, .13, .14, .5, .51, .52, .53, .54, .2, .21, .22, .23, .24];
        var groups = CalibrationCurve.Compute(time, ev, p, 60, requestedGroups: 3);
        Assert.Equal(3, groups.Count);
        Assert.Null(groups[0].Observed);
        Assert.Null(groups[0].ObservedLower);
        Assert.Equal(0.0, groups[1].Observed!.Value, 12); // the 0.2x group: followed beyond 60, no event
        Assert.Equal(1.0, groups[2].Observed!.Value, 12);
        Assert.Null(groups[2].ObservedUpper);
    }

    [Fact]
    public void Matches_the_independent_python_reference_on_a_fixed_cohort()
    {
        var c = Cohort();
        var expected = Expected();
        var groups = CalibrationCurve.Compute(c.Time, c.Event, c.Predicted, 60, requestedGroups: 4);
        var expectedGroups = expected.GetProperty("groups").EnumerateArray().ToArray();
        Assert.Equal(expectedGroups.Length, groups.Count);
        for (int g = 0; g < groups.Count; g++)
        {
            var e = expectedGroups[g];
            Assert.Equal(e.GetProperty("patients").GetInt32(), groups[g].Patients);
            Assert.Equal(e.GetProperty("events").GetInt32(), groups[g].Events);
            Close(e.Num("mean_predicted"), groups[g].MeanPredicted, 1e-12, $"group {g + 1} mean p");
            Close(e.Num("observed"), groups[g].Observed!.Value, 1e-12, $"group {g + 1} observed");
            Close(e.Num("lower"), groups[g].ObservedLower!.Value, 1e-9, $"group {g + 1} lower");
            Close(e.Num("upper"), groups[g].ObservedUpper!.Value, 1e-9, $"group {g + 1} upper");
        }
        Close(expected.Num("slope"), FiveYearCalibration.Slope(c.Time, c.Event, c.Predicted, 60), 1e-8, "slope");
        Close(expected.Num("intercept"), FiveYearCalibration.Intercept(c.Time, c.Event, c.Predicted, 60), 1e-8, "intercept");
        Close(expected.Num("observed_expected"), FiveYearCalibration.ObservedExpected(c.Time, c.Event, c.Predicted, 60), 1e-12, "O/E");
        var ici = FiveYearCalibration.Integrated(c.Time, c.Event, c.Predicted, 60);
        var ei = expected.GetProperty("integrated");
        var knots = ei.GetProperty("knots").EnumerateArray().Select(k => k.GetDouble()).ToArray();
        for (int k = 0; k < 3; k++) Close(knots[k], ici.Knots[k], 1e-12, $"knot {k + 1}");
        Close(ei.Num("ici"), ici.Ici, 1e-7, "ICI");
        Close(ei.Num("e50"), ici.E50, 1e-7, "E50");
        Close(ei.Num("e90"), ici.E90, 1e-7, "E90");
        Close(ei.Num("emax"), ici.Emax, 1e-7, "Emax");
    }

    [Fact]
    public void A_perfectly_calibrated_simulated_cohort_has_slope_one_intercept_zero_and_a_small_ICI()
    {
        var (d, _) = Simulate(4000, seed: 11, baseRate: 0.01, censorMax: 150);
        double slope = FiveYearCalibration.Slope(d.Time, d.Event, d.Predicted, 60);
        double intercept = FiveYearCalibration.Intercept(d.Time, d.Event, d.Predicted, 60);
        var ici = FiveYearCalibration.Integrated(d.Time, d.Event, d.Predicted, 60);
        Assert.InRange(slope, 0.9, 1.1);
        Assert.InRange(intercept, -0.1, 0.1);
        Assert.InRange(FiveYearCalibration.ObservedExpected(d.Time, d.Event, d.Predicted, 60), 0.94, 1.06);
        Assert.InRange(ici.Ici, 0, 0.02);
        Assert.True(ici.E50 <= ici.E90 && ici.E90 <= ici.Emax);
    }

    [Fact]
    public void Doubling_the_log_odds_halves_the_slope_and_raises_the_ICI()
    {
        var (d, _) = Simulate(4000, seed: 12, baseRate: 0.01, censorMax: 150);
        var doubled = d.Predicted.Select(p => 1 / (1 + Math.Pow((1 - p) / p, 2))).ToArray(); // logit → 2·logit
        Assert.InRange(FiveYearCalibration.Slope(d.Time, d.Event, doubled, 60), 0.44, 0.56);
        Assert.InRange(FiveYearCalibration.Integrated(d.Time, d.Event, doubled, 60).Ici, 0.04, 1);
        // Predictions shifted down on the logit scale by 1: calibration-in-the-large ≈ +1.
        var low = d.Predicted.Select(p => 1 / (1 + Math.Exp(1) * (1 - p) / p)).ToArray();
        Assert.InRange(FiveYearCalibration.Intercept(d.Time, d.Event, low, 60), 0.9, 1.1);
    }

    [Fact]
    public void Undefined_statistics_throw_argument_exceptions_and_the_assessment_reports_them_as_null()
    {
        // Nobody has an event by the horizon: no slope, no intercept; everyone's prediction equal: no spline knots.
        double[] time = Enumerable.Range(0, 12).Select(i => 61.0 + i).ToArray();
        bool[] ev = Enumerable.Range(0, 12).Select(i => i % 2 == 0).ToArray();
        double[] p = Enumerable.Repeat(0.3, 12).ToArray();
        Assert.ThrowsAny<ArgumentException>(() => FiveYearCalibration.Slope(time, ev, p, 60));
        Assert.ThrowsAny<ArgumentException>(() => FiveYearCalibration.Intercept(time, ev, p, 60));
        Assert.ThrowsAny<ArgumentException>(() => FiveYearCalibration.Integrated(time, ev, p, 60));
        var result = FiveYearCalibrationResult.Assess(time, ev, p, 60, 10, 20, 1, 0.5);
        Assert.Null(result.Slope);
        Assert.Null(result.Intercept);
        Assert.Null(result.Ici);
        Assert.Equal(0.0, result.ObservedExpected!.Value, 12);
        Assert.Equal(2, result.Groups.Count);
    }

    [Fact]
    public void The_assessment_gives_bootstrap_intervals_around_the_estimates()
    {
        var c = Cohort();
        var r = FiveYearCalibrationResult.Assess(c.Time, c.Event, c.Predicted, 60, 10, 50, 3, 0.5);
        Assert.Equal(10, r.Groups.Count); // 80 patients: the 10 deciles asked for
        foreach (var e in new[] { r.Slope!, r.Intercept!, r.Ici! })
            Assert.True(e.Lower < e.Value && e.Value < e.Upper, $"{e.Lower} < {e.Value} < {e.Upper}");
        Close(Expected().Num("slope"), r.Slope!.Value, 1e-8, "slope");
    }
}
