using HistoPrognosis.Survival;
using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>Saved form of a survival head: the loss and what was fitted on the training outcomes.</summary>
public sealed record SurvivalHeadState(string Loss, double HorizonMonths, double[]? BinUpperEdges = null,
    double? BaselineCumulativeHazard = null, string? Censoring = null, double[]? BaselineTimes = null, double[]? BaselineCurve = null);

/// <summary>
/// What the network's outputs mean and how they are trained: a loss over a batch of bags, a risk score (higher =
/// worse) and the event probability by the horizon, from the raw outputs of one bag.
/// </summary>
/// <summary>The survival losses (config values: cox, nll, binary5y).</summary>
public enum SurvivalLoss
{
    /// <summary>Cox partial likelihood (Efron ties).</summary>
    Cox,
    /// <summary>Discrete-time hazard negative log-likelihood.</summary>
    Nll,
    /// <summary>Binary event-by-the-horizon, censoring handled by IPCW or exclusion.</summary>
    Binary5y,
}

public abstract class SurvivalHead
{
    protected SurvivalHead(double horizonMonths) => HorizonMonths = horizonMonths;

    public double HorizonMonths { get; }
    public abstract int OutputCount { get; }
    public abstract Tensor Loss(Tensor outputs, double[] time, bool[] @event);
    public abstract double Risk(ReadOnlySpan<float> outputs);
    public abstract double EventProbability(ReadOnlySpan<float> outputs);
    public abstract SurvivalHeadState State { get; }

    /// <summary>
    /// Predicted probability of being event-free at <paramref name="months"/> (≤ the horizon), or null when the head
    /// predicts only the horizon (the five-year head; a Cox model saved before its whole baseline was kept).
    /// </summary>
    public abstract double? SurvivalAt(ReadOnlySpan<float> outputs, double months);

    /// <summary>The times of the predicted survival curve in <c>risks.csv</c> (<c>s_6m</c>, <c>s_12m</c>, …): every 6 months up to the horizon.</summary>
    public double[] CurveMonths() => CurveGrid(HorizonMonths);

    public static double[] CurveGrid(double horizonMonths)
    {
        var grid = new List<double>();
        for (double t = CurveStepMonths; t < horizonMonths - 1e-9; t += CurveStepMonths) grid.Add(t);
        grid.Add(horizonMonths);
        return grid.ToArray();
    }

    public const double CurveStepMonths = 6;

    /// <summary>The survival curve at <see cref="CurveMonths"/>, or null when the head cannot give it.</summary>
    public double[]? SurvivalCurve(ReadOnlySpan<float> outputs)
    {
        var grid = CurveMonths();
        var curve = new double[grid.Length];
        for (int k = 0; k < grid.Length; k++)
        {
            if (SurvivalAt(outputs, grid[k]) is not double s) return null;
            curve[k] = s;
        }
        return curve;
    }

    /// <summary>Fits what the head needs after training (Cox: the baseline hazard) from the training patients' outputs.</summary>
    public virtual void Calibrate(float[][] trainOutputs, double[] time, bool[] @event) { }

    /// <param name="bins">time bins of the discrete hazard model</param>
    /// <param name="censoring">exclude | ipcw: the five-year loss's handling of subjects censored before the horizon</param>
    public static SurvivalHead Create(SurvivalLoss loss, double[] time, bool[] @event, double horizonMonths = 60, int bins = 4,
        CensoringHandling censoring = CensoringHandling.Ipcw) => loss switch
        {
            SurvivalLoss.Cox => new CoxHead(horizonMonths, null),
            SurvivalLoss.Nll => new DiscreteHazardHead(horizonMonths, DiscreteTimeBins.FromEventTimes(time, @event, bins)),
            SurvivalLoss.Binary5y => new FiveYearHead(horizonMonths, censoring),
            _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, null),
        };

    public static SurvivalHead FromState(SurvivalHeadState state) => state.Loss switch
    {
        "cox" => new CoxHead(state.HorizonMonths, state.BaselineCumulativeHazard, state.BaselineTimes, state.BaselineCurve),
        "nll" => new DiscreteHazardHead(state.HorizonMonths, new DiscreteTimeBins(state.BinUpperEdges ?? throw new InvalidDataException("nll head without time bins"))),
        "binary5y" => new FiveYearHead(state.HorizonMonths, ParseCensoring(state.Censoring ?? "ipcw")),
        _ => throw new InvalidDataException($"unknown loss '{state.Loss}' in the model file"),
    };

    private static CensoringHandling ParseCensoring(string text) => text switch
    {
        "ipcw" => CensoringHandling.Ipcw,
        "exclude" => CensoringHandling.Exclude,
        _ => throw new InvalidDataException($"unknown censoring handling '{text}' in the model file"),
    };
}

/// <summary>
/// Cox partial likelihood (Efron ties): the output is the log relative hazard. The event probability by the horizon
/// is 1 − exp(−H₀(h)·e^risk) with the Breslow baseline hazard of the training patients' risks.
/// </summary>
public sealed class CoxHead(double horizonMonths, double? baselineCumulativeHazard, double[]? baselineTimes = null, double[]? baselineCurve = null)
    : SurvivalHead(horizonMonths)
{
    private double? _baseline = baselineCumulativeHazard;
    // H₀ as a step function over the training event times up to the horizon, for the survival curve.
    private double[]? _times = baselineTimes, _curve = baselineCurve;

    public override int OutputCount => 1;
    public override Tensor Loss(Tensor outputs, double[] time, bool[] @event) => CoxLoss.Efron(outputs.select(1, 0), time, @event);
    public override double Risk(ReadOnlySpan<float> outputs) => outputs[0];

    public override double EventProbability(ReadOnlySpan<float> outputs) =>
        1 - Math.Exp(-(_baseline ?? throw new InvalidOperationException("the Cox head has not been calibrated")) * Math.Exp(outputs[0]));

    public override double? SurvivalAt(ReadOnlySpan<float> outputs, double months)
    {
        // exp(−H₀(h)·e^r) itself, not 1 − EventProbability: the round trip could put S(h) an ulp above an equal S(t < h).
        if (months == HorizonMonths) return Math.Exp(-(_baseline ?? throw new InvalidOperationException("the Cox head has not been calibrated")) * Math.Exp(outputs[0]));
        if (_times is null || _curve is null) return null;
        int lo = 0, hi = _times.Length;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (_times[mid] <= months) lo = mid + 1; else hi = mid; }
        double h0 = lo == 0 ? 0 : _curve[lo - 1];
        return Math.Exp(-h0 * Math.Exp(outputs[0]));
    }

    public override void Calibrate(float[][] trainOutputs, double[] time, bool[] @event)
    {
        var fit = CoxBaselineHazardEstimator.Fit(time, @event, trainOutputs.Select(o => (double)o[0]).ToArray());
        _baseline = fit.At(HorizonMonths);
        var kept = Enumerable.Range(0, fit.Times.Count).Where(k => fit.Times[k] <= HorizonMonths).ToArray();
        _times = kept.Select(k => fit.Times[k]).ToArray();
        _curve = kept.Select(k => fit.CumulativeHazard[k]).ToArray();
    }

    public override SurvivalHeadState State => new("cox", HorizonMonths, BaselineCumulativeHazard: _baseline, BaselineTimes: _times, BaselineCurve: _curve);
}

/// <summary>
/// Discrete-time hazards, one logit per time bin. Risk = −Σₖ Sₖ (PORPOISE's convention: less expected survival is
/// higher risk); the event probability by the horizon is 1 − S(h).
/// </summary>
public sealed class DiscreteHazardHead(double horizonMonths, DiscreteTimeBins bins) : SurvivalHead(horizonMonths)
{
    public DiscreteTimeBins Bins { get; } = bins;
    public override int OutputCount => Bins.Count;

    public override Tensor Loss(Tensor outputs, double[] time, bool[] @event) =>
        DiscreteHazardLoss.Nll(outputs, time.Select(Bins.BinOf).ToArray(), @event);

    public override double Risk(ReadOnlySpan<float> outputs)
    {
        double survival = 1, sum = 0;
        foreach (var logit in outputs) { survival *= 1 - Sigmoid(logit); sum += survival; }
        return -sum;
    }

    public override double EventProbability(ReadOnlySpan<float> outputs)
    {
        var hazards = new double[outputs.Length];
        for (int k = 0; k < outputs.Length; k++) hazards[k] = Sigmoid(outputs[k]);
        return 1 - Bins.SurvivalAt(hazards, HorizonMonths);
    }

    public override double? SurvivalAt(ReadOnlySpan<float> outputs, double months)
    {
        var hazards = new double[outputs.Length];
        for (int k = 0; k < outputs.Length; k++) hazards[k] = Sigmoid(outputs[k]);
        return Bins.SurvivalAt(hazards, months);
    }

    public override SurvivalHeadState State => new("nll", HorizonMonths, BinUpperEdges: Bins.UpperEdges);

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}

/// <summary>Event by the horizon as a binary outcome: the output is its logit, which is also the risk score.</summary>
public sealed class FiveYearHead(double horizonMonths, CensoringHandling censoring) : SurvivalHead(horizonMonths)
{
    public override int OutputCount => 1;

    public override Tensor Loss(Tensor outputs, double[] time, bool[] @event)
    {
        var (target, weight) = FiveYearLoss.Targets(time, @event, HorizonMonths, censoring);
        return FiveYearLoss.Loss(outputs.select(1, 0), target, weight);
    }

    public override double Risk(ReadOnlySpan<float> outputs) => outputs[0];
    public override double EventProbability(ReadOnlySpan<float> outputs) => 1 / (1 + Math.Exp(-outputs[0]));
    public override double? SurvivalAt(ReadOnlySpan<float> outputs, double months) => months == HorizonMonths ? 1 - EventProbability(outputs) : null;
    public override SurvivalHeadState State => new("binary5y", HorizonMonths, Censoring: censoring == CensoringHandling.Ipcw ? "ipcw" : "exclude");
}
