using System.Globalization;

namespace HistoPrognosis.Survival;

/// <summary>A statistic of the subjects selected by <paramref name="indices"/> (a resample, with repeats).</summary>
public delegate double IndexStatistic(ReadOnlySpan<int> indices);

/// <summary>
/// A statistic with its percentile bootstrap 95% interval: the one "estimate with CI" every report uses (evaluation,
/// cross-validation, the run's comparison). No interval (null bounds) when no bootstrap was asked for or too few
/// resamples gave a defined statistic; <see cref="UndefinedResamples"/> counts the resamples left out (e.g. without a
/// comparable pair), so a report can say so. A statistic undefined on all subjects has no estimate at all (null).
/// </summary>
public sealed record Estimate(double Value, double? Lower, double? Upper, int UndefinedResamples = 0)
{
    public static Estimate Point(double value) => new(value, null, null);

    /// <summary>"0.612 (0.550–0.680)", or the value alone when there is no interval.</summary>
    public string Format(string format = "F3") =>
        Lower is double lower && Upper is double upper
            ? $"{Value.ToString(format, CultureInfo.InvariantCulture)} ({lower.ToString(format, CultureInfo.InvariantCulture)}–{upper.ToString(format, CultureInfo.InvariantCulture)})"
            : Value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary><see cref="Format(string)"/>, or "undefined" for a statistic that could not be computed (its report says why).</summary>
    public static string Format(Estimate? estimate, string format = "F3") => estimate?.Format(format) ?? "undefined";
}

/// <summary>
/// Nonparametric bootstrap over patients with percentile intervals. Replicate r draws its n indices from its own
/// generator seeded by (seed, r), so results are identical whether replicates run in parallel or not. Replicates whose
/// statistic is undefined (it throws <see cref="ArgumentException"/>, e.g. a resample without events) are counted in
/// <see cref="BootstrapInterval.Failed"/> and left out.
/// </summary>
public static class Bootstrap
{
    /// <summary>
    /// The statistic on all subjects with its percentile interval over <paramref name="replicates"/> resamples (none
    /// when 0, or when fewer than <paramref name="minDefinedShare"/> of them give a defined statistic); null when the
    /// statistic is undefined on all subjects (it throws <see cref="ArgumentException"/> or is not finite).
    /// </summary>
    public static Estimate? Estimate(int n, IndexStatistic statistic, int replicates, int seed, double minDefinedShare = 0.5)
    {
        double value;
        try { value = statistic(Identity(n)); }
        catch (ArgumentException) { return null; }
        if (!double.IsFinite(value)) return null;
        if (replicates == 0 || n < 2) return Survival.Estimate.Point(value);
        double[] valid = Defined(Replicate(n, replicates, seed, statistic));
        int undefined = replicates - valid.Length;
        if (valid.Length < 2 || valid.Length < minDefinedShare * replicates) return new Estimate(value, null, null, undefined);
        return new Estimate(value, Quantile7(valid, 0.025), Quantile7(valid, 0.975), undefined);
    }

    /// <summary><see cref="Estimate(int, IndexStatistic, int, int, double)"/> of a − b on the same resamples (their correlation kept).</summary>
    public static Estimate? PairedEstimate(int n, IndexStatistic a, IndexStatistic b, int replicates, int seed, double minDefinedShare = 0.5) =>
        Estimate(n, idx => a(idx) - b(idx), replicates, seed, minDefinedShare);

    public static BootstrapInterval Percentile(int n, IndexStatistic statistic, int replicates = 1000, int seed = 1, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(statistic);
        CheckArguments(n, replicates, level);
        double estimate = statistic(Identity(n));
        double[] samples = Replicate(n, replicates, seed, statistic);
        return Summarize(estimate, samples, replicates, seed, level);
    }

    /// <summary>Paired bootstrap of a − b: both statistics see the same resample, so their correlation is kept.</summary>
    public static BootstrapInterval PairedDifference(int n, IndexStatistic a, IndexStatistic b, int replicates = 1000, int seed = 1, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Percentile(n, idx => a(idx) - b(idx), replicates, seed, level);
    }

    /// <summary>Bootstrap of Harrell's C (a convenience over <see cref="Percentile"/>).</summary>
    public static BootstrapInterval HarrellC(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> risk,
        int replicates = 1000, int seed = 1, double level = 0.95)
    {
        var (t, e, r) = (time.ToArray(), @event.ToArray(), risk.ToArray());
        return Percentile(t.Length, idx =>
        {
            var (bt, be, br) = Gather(idx, t, e, r);
            return Concordance.Harrell(bt, be, br).Value;
        }, replicates, seed, level);
    }

    /// <summary>Copies the resampled subjects out of (time, event, score) arrays.</summary>
    public static (double[] Time, bool[] Event, double[] Score) Gather(ReadOnlySpan<int> indices, double[] time, bool[] @event, double[] score)
    {
        var bt = new double[indices.Length];
        var be = new bool[indices.Length];
        var bs = new double[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            bt[k] = time[i]; be[k] = @event[i]; bs[k] = score[i];
        }
        return (bt, be, bs);
    }

    /// <summary>The indices of replicate <paramref name="replicate"/>, as the bootstrap draws them.</summary>
    public static int[] ResampleIndices(int n, int seed, int replicate)
    {
        var indices = new int[n];
        FillIndices(indices, seed, replicate);
        return indices;
    }

    private static double[] Replicate(int n, int replicates, int seed, IndexStatistic statistic)
    {
        var samples = new double[replicates];
        Parallel.For(0, replicates, () => new int[n], (r, _, indices) =>
        {
            FillIndices(indices, seed, r);
            try { samples[r] = statistic(indices); }
            catch (ArgumentException) { samples[r] = double.NaN; }
            return indices;
        }, _ => { });
        return samples;
    }

    private static void FillIndices(Span<int> indices, int seed, int replicate)
    {
        var rng = new SplitMix64(((ulong)(uint)seed << 32) ^ (ulong)(uint)replicate ^ 0x5DEECE66DUL);
        for (int k = 0; k < indices.Length; k++) indices[k] = rng.NextBelow(indices.Length);
    }

    // The finite replicates, sorted for the percentiles.
    private static double[] Defined(double[] samples)
    {
        double[] valid = samples.Where(double.IsFinite).ToArray();
        Array.Sort(valid);
        return valid;
    }

    private static BootstrapInterval Summarize(double estimate, double[] samples, int replicates, int seed, double level)
    {
        double[] valid = Defined(samples);
        if (valid.Length < 2)
            throw new ArgumentException($"Only {valid.Length} of {replicates} bootstrap replicates gave a defined statistic.");
        double alpha = (1 - level) / 2;
        double mean = valid.Average();
        double sd = Math.Sqrt(valid.Sum(v => (v - mean) * (v - mean)) / (valid.Length - 1));
        return new BootstrapInterval(estimate, Quantile7(valid, alpha), Quantile7(valid, 1 - alpha), sd,
            valid.Length, replicates - valid.Length, level, seed);
    }

    /// <summary>R's default quantile (type 7) of sorted values.</summary>
    internal static double Quantile7(double[] sorted, double p)
    {
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    private static int[] Identity(int n)
    {
        var idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        return idx;
    }

    private static void CheckArguments(int n, int replicates, double level)
    {
        if (n < 2) throw new ArgumentException($"The bootstrap needs at least 2 subjects, got {n}.");
        if (replicates < 2) throw new ArgumentException($"The bootstrap needs at least 2 replicates, got {replicates}.");
        if (!(level > 0 && level < 1)) throw new ArgumentException($"level must lie in (0, 1), got {level}.");
    }

    // Small, fast, well-mixed generator (Steele et al. 2014) with an unbiased bounded draw (Lemire 2019).
    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        private ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public int NextBelow(int bound)
        {
            ulong b = (ulong)bound;
            UInt128 m = (UInt128)Next() * b;
            ulong low = (ulong)m;
            if (low < b)
            {
                ulong threshold = (0UL - b) % b;
                while (low < threshold) { m = (UInt128)Next() * b; low = (ulong)m; }
            }
            return (int)(ulong)(m >> 64);
        }
    }
}

/// <summary>
/// A bootstrap result: the statistic on the full data, the percentile interval at <see cref="Level"/>, the bootstrap
/// standard deviation, and how many replicates were usable (<see cref="Replicates"/>) or undefined (<see cref="Failed"/>).
/// </summary>
public sealed record BootstrapInterval(double Estimate, double Lower, double Upper, double StdError, int Replicates, int Failed, double Level, int Seed);
