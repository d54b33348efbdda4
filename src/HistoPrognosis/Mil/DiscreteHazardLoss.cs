using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>
/// Negative log-likelihood of the discrete-time hazard model (Zadeh &amp; Schmid 2020, as in PORPOISE/CLAM-survival):
/// each output k is the logit of the hazard h_k = P(T in bin k | T beyond bin k − 1), S_k = Π_{j≤k}(1 − h_j).
/// An event in bin y contributes −log S_{y−1} − log h_y; a censoring in bin y contributes −log S_y.
/// Computed in log space (log h = logσ(z), log(1 − h) = logσ(−z)) so no clamp is needed.
/// </summary>
public static class DiscreteHazardLoss
{
    /// <param name="logits">[B × K] hazard logits</param>
    /// <param name="bin">each subject's time bin, 0..K−1</param>
    /// <param name="alpha">weight moved onto the uncensored term (PORPOISE's α; 0 = the plain likelihood)</param>
    public static Tensor Nll(Tensor logits, int[] bin, bool[] @event, double alpha = 0)
    {
        if (logits.dim() != 2 || logits.shape[0] != bin.Length || bin.Length != @event.Length)
            throw new ArgumentException("logits must be subjects × bins, with one bin and event per subject");
        if (bin.Any(b => b < 0 || b >= logits.shape[1])) throw new ArgumentException("a bin index is outside 0..K−1");
        using var scope = NewDisposeScope();
        var logHazard = nn.functional.logsigmoid(logits);
        var logSurvival = nn.functional.logsigmoid(-logits).cumsum(1);
        var logSurvivalBefore = cat([zeros(logits.shape[0], 1, dtype: logits.dtype, device: logits.device), logSurvival.narrow(1, 0, logits.shape[1] - 1)], 1);
        var y = tensor(bin.Select(b => (long)b).ToArray(), device: logits.device).unsqueeze(1);
        var observed = tensor(@event.Select(e => e ? 1.0 : 0.0).ToArray(), dtype: logits.dtype, device: logits.device);
        var uncensored = -(logSurvivalBefore.gather(1, y) + logHazard.gather(1, y)).squeeze(1) * observed;
        var censored = -logSurvival.gather(1, y).squeeze(1) * (1 - observed);
        var loss = (1 - alpha) * (uncensored + censored) + alpha * uncensored;
        return loss.mean().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Time bins of the discrete hazard model: upper edges e_1 &lt; … &lt; e_K, from quantiles of the training event times
/// (so each bin holds about as many events), the last edge at the largest training time. A time t falls in the
/// first bin whose upper edge is ≥ t (times beyond the last edge in the last bin).
/// </summary>
public sealed record DiscreteTimeBins(double[] UpperEdges)
{
    public int Count => UpperEdges.Length;

    public static DiscreteTimeBins FromEventTimes(double[] time, bool[] @event, int bins)
    {
        if (bins < 1) throw new UserInputException($"the number of time bins must be ≥ 1, got {bins}");
        var events = time.Where((_, i) => @event[i]).OrderBy(t => t).ToArray();
        if (events.Length == 0) throw new UserInputException("time bins need at least one event in the training cohort");
        var edges = new List<double>();
        for (int k = 1; k < bins; k++)
        {
            double q = Quantile(events, (double)k / bins);
            if (edges.Count == 0 || q > edges[^1]) edges.Add(q);
        }
        double last = time.Max();
        if (edges.Count == 0 || last > edges[^1]) edges.Add(last);
        return new DiscreteTimeBins(edges.ToArray());
    }

    public int BinOf(double t)
    {
        for (int k = 0; k < UpperEdges.Length; k++) if (t <= UpperEdges[k]) return k;
        return UpperEdges.Length - 1;
    }

    /// <summary>
    /// S(t) from per-bin hazards, with log S interpolated linearly inside the bin that holds t (a constant hazard
    /// rate within the bin); beyond the last edge S stays at its last value.
    /// </summary>
    public double SurvivalAt(ReadOnlySpan<double> hazards, double t)
    {
        double logS = 0, start = 0;
        for (int k = 0; k < UpperEdges.Length; k++)
        {
            double end = UpperEdges[k], logStay = Math.Log(Math.Max(1 - hazards[k], 1e-300));
            if (t >= end) { logS += logStay; start = end; continue; }
            if (t > start) logS += logStay * (t - start) / (end - start);
            break;
        }
        return Math.Exp(logS);
    }

    /// <summary>R's default (type 7) quantile of sorted values.</summary>
    private static double Quantile(double[] sorted, double p)
    {
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        return lo + 1 < sorted.Length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    }
}
