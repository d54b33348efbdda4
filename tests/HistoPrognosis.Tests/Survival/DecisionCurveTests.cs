using HistoPrognosis.Survival;
using static HistoPrognosis.Tests.Survival.CalibrationFixture;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public sealed class DecisionCurveTests
{
    // The ten patients of FiveYearCalibrationTests: everyone's KM S(60) = 0.5625 (risk 0.4375).
    private static readonly double[] Time = [70, 80, 30, 65, 20, 10, 40, 90, 50, 25];
    private static readonly bool[] Event = [false, false, true, false, false, true, true, false, false, true];
    private static readonly double[] P = [0.10, 0.15, 0.20, 0.25, 0.30, 0.50, 0.55, 0.60, 0.70, 0.80];

    [Fact]
    public void Net_benefit_matches_hand_computation()
    {
        var points = DecisionCurve.Compute(Time, Event, P, 60, [0.25, 0.5, 0.65, 0.75, 0.85]);
        // pt 0.25: 7 patients with p ≥ 0.25 (times 65+ 20+ 10 40 90+ 50+ 25): S = 6/7·4/5·3/4 = 18/35;
        // NB = 17/35·0.7 − 18/35·0.7·(1/3) = 0.34 − 0.12 = 0.22; treat all: 0.4375 − 0.5625/3 = 0.25.
        Assert.Equal(7, points[0].HighRisk);
        Assert.Equal(0.22, points[0].Model!.Value, 12);
        Assert.Equal(0.25, points[0].TreatAll!.Value, 12);
        // pt 0.5: the 5 highest, S = 2/5: NB = 0.6·0.5 − 0.4·0.5·1 = 0.1; treat all: 0.4375 − 0.5625 = −0.125.
        Assert.Equal(0.1, points[1].Model!.Value, 12);
        Assert.Equal(-0.125, points[1].TreatAll!.Value, 12);
        // pt 0.65: times 50+ and 25 → S = 1/2 until 50, then nobody followed: undefined at 60.
        Assert.Null(points[2].Model);
        // pt 0.75: the one patient has an event at 25, S = 0 afterwards: NB = 1·0.1 − 0 = 0.1.
        Assert.Equal(0.1, points[3].Model!.Value, 12);
        // pt 0.85: nobody treated, NB = 0; treat all: 0.4375 − 0.5625·0.85/0.15.
        Assert.Equal((0, 0.0), (points[4].HighRisk, points[4].Model!.Value));
        Assert.Equal(0.4375 - 0.5625 * 0.85 / 0.15, points[4].TreatAll!.Value, 12);
        Assert.All(points, p => Assert.Equal(0, p.TreatNone));
    }

    [Fact]
    public void Matches_the_independent_python_reference_on_a_fixed_cohort()
    {
        var c = Cohort();
        var expected = Expected().GetProperty("decision_curve").EnumerateArray().ToArray();
        var points = DecisionCurve.Compute(c.Time, c.Event, c.Predicted, 60, DecisionCurve.DefaultThresholds);
        Assert.Equal(expected.Length, points.Count);
        for (int k = 0; k < points.Count; k++)
        {
            Close(expected[k].Num("threshold"), points[k].Threshold, 1e-12, "threshold");
            Assert.Equal(expected[k].GetProperty("high_risk").GetInt32(), points[k].HighRisk);
            Close(expected[k].Num("model"), points[k].Model!.Value, 1e-12, $"model NB at {points[k].Threshold}");
            Close(expected[k].Num("treat_all"), points[k].TreatAll!.Value, 1e-12, $"treat-all NB at {points[k].Threshold}");
        }
    }

    [Fact]
    public void A_threshold_outside_zero_one_is_refused()
    {
        Assert.ThrowsAny<ArgumentException>(() => DecisionCurve.Compute(Time, Event, P, 60, [0.0]));
        Assert.ThrowsAny<ArgumentException>(() => DecisionCurve.Compute(Time, Event, P, 60, [1.0]));
    }
}
