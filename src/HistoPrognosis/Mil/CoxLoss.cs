using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>
/// Negative Cox partial log-likelihood with Efron's handling of tied event times, averaged over events. Works on
/// any mini-batch of bags; a batch without events contributes zero (with a gradient path, so training goes on).
/// </summary>
public static class CoxLoss
{
    public static Tensor Efron(Tensor risk, double[] time, bool[] @event)
    {
        if (risk.dim() != 1 || risk.shape[0] != time.Length || time.Length != @event.Length)
            throw new ArgumentException("risk, time and event must have one entry per subject");
        int events = @event.Count(e => e);
        if (events == 0) return risk.sum().mul(0);
        using var scope = NewDisposeScope();
        var shift = risk.max().detach();
        var expRisk = (risk - shift).exp();
        var total = zeros(1, dtype: risk.dtype, device: risk.device).squeeze();
        foreach (var t in time.Where((_, i) => @event[i]).Distinct())
        {
            var atRisk = Mask(time.Select(x => x >= t), risk.device);
            var dead = Mask(time.Select((x, i) => x == t && @event[i]), risk.device);
            int d = @event.Where((e, i) => e && time[i] == t).Count();
            var riskSum = expRisk.mul(atRisk).sum();
            var deadSum = expRisk.mul(dead).sum();
            total = total + risk.mul(dead).sum();
            for (int l = 0; l < d; l++)
                total = total - (riskSum - deadSum * (l / (double)d)).log() - shift;
        }
        return total.neg().div(events).MoveToOuterDisposeScope();
    }

    private static Tensor Mask(IEnumerable<bool> values, Device device) =>
        tensor(values.Select(v => v ? 1f : 0f).ToArray(), device: device);
}
