using HistoPrognosis.Survival;
using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>How subjects censored before the horizon (unknown status) enter the binary loss.</summary>
public enum CensoringHandling
{
    /// <summary>Left out (weight 0); the others weigh 1.</summary>
    Exclude,
    /// <summary>Inverse probability of censoring weights from the Kaplan–Meier censoring distribution G.</summary>
    Ipcw,
}

/// <summary>
/// Binary cross-entropy for "event by the horizon" (five years). Subjects with unknown status weigh 0; with IPCW an
/// event at T ≤ h weighs 1/G(T−) and a subject followed beyond h weighs 1/G(h) (the weights of
/// <see cref="BrierScore"/>), which undoes the bias of dropping early-censored subjects. The loss is the weighted
/// mean (normalised by the weight sum, so its scale does not depend on how much censoring a batch has).
/// </summary>
public static class FiveYearLoss
{
    public static (float[] Target, float[] Weight) Targets(double[] time, bool[] @event, double horizon, CensoringHandling handling)
    {
        var status = FiveYearLabels.Create(time, @event, horizon);
        var target = status.Select(s => s == true ? 1f : 0f).ToArray();
        var weight = new float[time.Length];
        var censoring = handling == CensoringHandling.Ipcw ? CensoringDistribution.Fit(time, @event) : null;
        for (int i = 0; i < time.Length; i++)
        {
            if (status[i] is null) continue;
            weight[i] = censoring is null ? 1f
                : (float)(1 / (status[i] == true ? censoring.SurvivalBefore(time[i]) : censoring.SurvivalAt(horizon)));
        }
        if (weight.All(w => w == 0)) throw new UserInputException($"no subject has a known status at {horizon} months (all censored before it)");
        return (target, weight);
    }

    /// <param name="logits">[B] logits of the event-by-horizon probability</param>
    public static Tensor Loss(Tensor logits, float[] target, float[] weight)
    {
        using var scope = NewDisposeScope();
        var w = tensor(weight, device: logits.device).to_type(logits.dtype);
        var y = tensor(target, device: logits.device).to_type(logits.dtype);
        var perSubject = nn.functional.binary_cross_entropy_with_logits(logits, y, reduction: nn.Reduction.None);
        return (perSubject * w).sum().div(w.sum().clamp_min(1e-12)).MoveToOuterDisposeScope();
    }
}
