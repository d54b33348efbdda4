using System.Buffers;

namespace HistoPrognosis.Stain;

/// <summary>numpy.percentile with its default 'linear' method, found by selection rather than a full sort.</summary>
public static class Percentile
{
    /// <summary>The q-th percentile (0..100) of <paramref name="values"/>; the span is reordered in place.</summary>
    public static double Linear(Span<double> values, double q) => Linear(values, q, static v => v);

    /// <summary>
    /// The q-th percentile of toValue(key) for a strictly increasing <paramref name="toValue"/>: the order
    /// statistics are selected on the (cheaper) keys and only those two are converted.
    /// </summary>
    public static double Linear(Span<double> keys, double q, Func<double, double> toValue)
    {
        var values = keys;
        if (values.IsEmpty) throw new ArgumentException("no values", nameof(values));
        int n = values.Length;
        // numpy: virtual index = n·p + (1 − p) − 1 for p = q/100; interpolation weight is its fractional part.
        double p = q / 100.0;
        double index = n * p + (1 + p * -1) - 1;
        int lower = (int)Math.Clamp(Math.Floor(index), 0, n - 1);
        int upper = Math.Min(lower + 1, n - 1);
        double t = Math.Clamp(index - Math.Floor(index), 0, 1);
        var (ka, kb) = OrderStatistics(values, lower, upper);
        double a = toValue(ka);
        double b = upper == lower ? a : toValue(kb);
        double diff = b - a;
        // numpy's _lerp switches form at t ≥ 0.5 to stay monotone.
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    /// <summary>Percentile of byte values from their histogram (exact, no copy).</summary>
    public static double Linear(ReadOnlySpan<long> histogram, long count, double q)
    {
        double p = q / 100.0;
        double index = count * p + (1 + p * -1) - 1;
        long lower = (long)Math.Clamp(Math.Floor(index), 0, count - 1);
        long upper = Math.Min(lower + 1, count - 1);
        double t = Math.Clamp(index - Math.Floor(index), 0, 1);
        double a = Rank(histogram, lower), b = Rank(histogram, upper), diff = b - a;
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    private static int Rank(ReadOnlySpan<long> histogram, long rank)
    {
        long seen = 0;
        for (int v = 0; v < histogram.Length; v++)
        {
            seen += histogram[v];
            if (seen > rank) return v;
        }
        return histogram.Length - 1;
    }

    // The lower-th and upper-th (= lower + 1 or lower) smallest. Large inputs: Floyd–Rivest style, a sorted
    // deterministic sample brackets the ranks, one pass keeps the values inside the bracket, and selection runs on
    // that band only (a few percent of the data); falls back to plain quickselect if the bracket misses.
    private static (double A, double B) OrderStatistics(Span<double> values, int lower, int upper)
    {
        int n = values.Length;
        if (n >= 8192)
        {
            const int m = 1024, margin = 40;
            Span<double> sample = stackalloc double[m];
            for (int i = 0; i < m; i++) sample[i] = values[(int)((long)i * n / m)];
            sample.Sort();
            int pos = (int)((long)lower * m / n);
            double lo = pos - margin < 0 ? double.NegativeInfinity : sample[pos - margin];
            double hi = pos + margin >= m ? double.PositiveInfinity : sample[pos + margin];
            int below = 0, inBand = 0, capacity = Math.Min(n, 4 * (2 * margin + 1) * (n / m + 1));
            var band = ArrayPool<double>.Shared.Rent(capacity);
            try
            {
                foreach (var v in values)
                {
                    if (v < lo) below++;
                    else if (v <= hi)
                    {
                        if (inBand == capacity) { inBand = -1; break; }
                        band[inBand++] = v;
                    }
                }
                if (inBand > 0 && below <= lower && below + inBand > upper)
                {
                    var span = band.AsSpan(0, inBand);
                    double a = Select(span, lower - below);
                    return (a, upper == lower ? a : MinAbove(span, lower - below));
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(band);
            }
        }
        double first = Select(values, lower);
        return (first, upper == lower ? first : MinAbove(values, lower));
    }

    // After Select(values, k) every element right of k is ≥ values[k]; the (k+1)-th order statistic is their minimum.
    private static double MinAbove(Span<double> values, int k)
    {
        double min = double.PositiveInfinity;
        for (int i = k + 1; i < values.Length; i++) if (values[i] < min) min = values[i];
        return min;
    }

    /// <summary>Quickselect (Hoare partition, median-of-three): the k-th smallest, with the span partitioned around it.</summary>
    private static double Select(Span<double> a, int k)
    {
        int lo = 0, hi = a.Length - 1;
        while (hi > lo)
        {
            int mid = lo + (hi - lo) / 2;
            if (a[mid] < a[lo]) Swap(a, mid, lo);
            if (a[hi] < a[lo]) Swap(a, hi, lo);
            if (a[hi] < a[mid]) Swap(a, hi, mid);
            double pivot = a[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) { Swap(a, i, j); i++; j--; }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else break;
        }
        return a[k];
    }

    private static void Swap(Span<double> a, int i, int j) => (a[i], a[j]) = (a[j], a[i]);
}
