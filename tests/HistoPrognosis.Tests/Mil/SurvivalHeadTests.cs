using HistoPrognosis.Mil;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Mil;

/// <summary>Losses and heads against hand-computed values.</summary>
[Collection(TorchCollection.Name)]
public sealed class SurvivalHeadTests
{
    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    [Fact]
    public void DiscreteHazardNllMatchesHandComputation()
    {
        // Subject 1: event in bin 1 → −log(1 − h₀) − log h₁. Subject 2: censored in bin 2 → −Σ_{k≤2} log(1 − h_k).
        double[,] z = { { 0, 1, -1 }, { 0.5, 0, 0 } };
        double first = -Math.Log(1 - Sigmoid(0)) - Math.Log(Sigmoid(1));
        double second = -(Math.Log(1 - Sigmoid(0.5)) + 2 * Math.Log(1 - Sigmoid(0)));
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 0, 1, -1, 0.5, 0, 0 }, dtype: ScalarType.Float64).reshape(2, 3);
        double loss = DiscreteHazardLoss.Nll(logits, [1, 2], [true, false]).item<double>();
        Assert.Equal((first + second) / 2, loss, 1e-12);
        // α moves weight onto the uncensored term: (1 − α)(a + b)/2 + α·a/2.
        double withAlpha = DiscreteHazardLoss.Nll(logits, [1, 2], [true, false], alpha: 0.4).item<double>();
        Assert.Equal((0.6 * (first + second) + 0.4 * first) / 2, withAlpha, 1e-12);
        Assert.Equal(z[0, 1], 1.0);
    }

    [Fact]
    public void CoxHeadsSurvivalCurveIsTheBreslowBaselineStepFunctionAndSurvivesSaving()
    {
        // Risks 0 for all: Breslow adds d/n at each event time. Events at 10 (4 at risk) and 40 (2 at risk), censored
        // at 20 and 70: H₀ = 1/4 from 10, 1/4 + 1/2 from 40 on. Horizon 60: the grid is 6, 12, …, 60.
        var head = new CoxHead(60, null);
        head.Calibrate([[0f], [0f], [0f], [0f]], [10, 20, 40, 70], [true, false, true, false]);
        float[] patient = [(float)Math.Log(2)]; // twice the baseline hazard
        Assert.Equal([6.0, 12, 18, 24, 30, 36, 42, 48, 54, 60], head.CurveMonths());
        var curve = head.SurvivalCurve(patient)!;
        Assert.Equal(1.0, curve[0], 12);                          // 6: before the first event
        Assert.Equal(Math.Exp(-2 * 0.25), curve[1], 6);           // 12
        Assert.Equal(Math.Exp(-2 * 0.75), curve[6], 6);           // 42
        Assert.Equal(1 - head.EventProbability(patient), curve[^1], 12);
        var restored = (CoxHead)SurvivalHead.FromState(head.State);
        Assert.Equal(curve, restored.SurvivalCurve(patient)!);
        // A head saved with only the horizon's baseline predicts the horizon, no curve.
        var old = SurvivalHead.FromState(head.State with { BaselineTimes = null, BaselineCurve = null });
        Assert.Null(old.SurvivalCurve(patient));
        Assert.Equal(curve[^1], old.SurvivalAt(patient, 60)!.Value, 12);
        // The five-year head has no curve; the discrete-time head's is its bins' survival.
        Assert.Null(new FiveYearHead(60, CensoringHandling.Ipcw).SurvivalCurve([0.3f]));
        var discrete = new DiscreteHazardHead(60, new DiscreteTimeBins([25, 60]));
        var d = discrete.SurvivalCurve([0f, 1f])!;
        Assert.Equal(new DiscreteTimeBins([25, 60]).SurvivalAt([0.5, Sigmoid(1)], 30), d[4], 12);
        Assert.Equal(1 - discrete.EventProbability([0f, 1f]), d[^1], 12);
    }

    [Fact]
    public void TimeBinsComeFromEventTimeQuantilesAndInterpolateSurvival()
    {
        var bins = DiscreteTimeBins.FromEventTimes([10, 20, 30, 40, 50], [true, true, true, true, false], 2);
        Assert.Equal([25.0, 50.0], bins.UpperEdges); // median of the event times (R type 7), then the last time
        Assert.Equal(0, bins.BinOf(25));
        Assert.Equal(1, bins.BinOf(25.5));
        Assert.Equal(1, bins.BinOf(400));
        double[] hazards = [0.2, 0.5];
        Assert.Equal(Math.Exp(Math.Log(0.8) * 10 / 25), bins.SurvivalAt(hazards, 10), 1e-12);
        Assert.Equal(0.8 * Math.Exp(Math.Log(0.5) * 5 / 25), bins.SurvivalAt(hazards, 30), 1e-12);
        Assert.Equal(0.4, bins.SurvivalAt(hazards, 90), 1e-12);
        Assert.Throws<UserInputException>(() => DiscreteTimeBins.FromEventTimes([5, 6], [false, false], 4));
    }

    [Fact]
    public void FiveYearTargetsExcludeOrIpcwWeightEarlyCensoring()
    {
        // Censoring KM: jumps at 20 (4 at risk, no death) → 0.75 and at 70 (2 at risk) → 0.375.
        double[] time = [10, 20, 70, 80, 30];
        bool[] @event = [true, false, false, true, true];
        var (target, exclude) = FiveYearLoss.Targets(time, @event, 60, CensoringHandling.Exclude);
        Assert.Equal([1f, 0f, 0f, 0f, 1f], target);
        Assert.Equal([1f, 0f, 1f, 1f, 1f], exclude);
        var (_, ipcw) = FiveYearLoss.Targets(time, @event, 60, CensoringHandling.Ipcw);
        Assert.Equal([1f, 0f, 1 / 0.75f, 1 / 0.75f, 1 / 0.75f], ipcw);

        double[] logits = [0.3, -2, 1.0, -0.5, 0.1];
        double sum = 0;
        for (int i = 0; i < 5; i++)
        {
            double p = Sigmoid(logits[i]);
            sum += ipcw[i] * -(target[i] * Math.Log(p) + (1 - target[i]) * Math.Log(1 - p));
        }
        using var scope = NewDisposeScope();
        double loss = FiveYearLoss.Loss(tensor(logits, dtype: ScalarType.Float64), target, ipcw).item<double>();
        Assert.Equal(sum / ipcw.Sum(), loss, 1e-6);
        Assert.Throws<UserInputException>(() => FiveYearLoss.Targets([10, 20], [false, false], 60, CensoringHandling.Ipcw));
    }

    [Fact]
    public void CoxHeadProbabilityUsesBreslowBaselineOfTrainingRisks()
    {
        // Three events at 1, 2, 3 with risk 0: H₀(2.5) = 1/3 + 1/2.
        var head = SurvivalHead.Create(SurvivalLoss.Cox, [1, 2, 3], [true, true, true], horizonMonths: 2.5);
        head.Calibrate([[0f], [0f], [0f]], [1, 2, 3], [true, true, true]);
        Assert.Equal(1 - Math.Exp(-(5.0 / 6) * Math.Exp(0.7)), head.EventProbability([0.7f]), 1e-6);
        Assert.Equal(0.7, head.Risk([0.7f]), 1e-6);
        var restored = SurvivalHead.FromState(head.State);
        Assert.Equal(head.EventProbability([0.7f]), restored.EventProbability([0.7f]), 1e-12);
    }

    [Fact]
    public void DiscreteHazardHeadRiskIsMinusSummedSurvival()
    {
        var head = new DiscreteHazardHead(60, new DiscreteTimeBins([30, 90]));
        Assert.Equal(-(0.5 + 0.25), head.Risk([0f, 0f]), 1e-12);
        Assert.Equal(1 - 0.5 * Math.Exp(Math.Log(0.5) * 30 / 60), head.EventProbability([0f, 0f]), 1e-12);
        Assert.True(head.Risk([1f, 1f]) > head.Risk([-1f, -1f]));
        Assert.Throws<UserInputException>(() => HistoPrognosis.Configuration.ConfigNames.Parse<SurvivalLoss>("hinge", "--loss"));
    }
}
