using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using HistoPrognosis.Imaging;

namespace HistoPrognosis.Tiling;

/// <summary>Why a tile was left out.</summary>
public static class DropReason
{
    /// <summary>The tissue mask covers less than the minimum fraction of the tile (the tile is never read).</summary>
    public const string LowTissue = "low_tissue";

    /// <summary>Too many bright, unsaturated (glass) pixels once read.</summary>
    public const string Background = "background";

    /// <summary>Variance of the Laplacian below the threshold: out of focus.</summary>
    public const string Blur = "blur";
}

/// <summary>Thresholds of the per-tile quality control.</summary>
public sealed record TileQcOptions
{
    /// <summary>Drop a tile when more than this fraction of its pixels are background (bright and unsaturated).</summary>
    public double MaxBackgroundFraction { get; init; } = 0.5;

    /// <summary>A pixel is background when its minimum channel is above this and its saturation below <see cref="BackgroundMaxSaturation"/>.</summary>
    public int BackgroundMinBrightness { get; init; } = 210;

    public int BackgroundMaxSaturation { get; init; } = 25;

    /// <summary>Drop a tile when the variance of the Laplacian of its grey values is below this (0 disables).</summary>
    public double BlurThreshold { get; init; } = 20;
}

/// <summary>
/// Per-tile quality control: background fraction and focus (variance of the 4-neighbour Laplacian). Vectorised (SSSE3
/// de-interleaving of 16 RGB pixels at a time) where the CPU allows, with the scalar definitions as the fallback and
/// the reference (<see cref="BackgroundFractionScalar"/>, <see cref="LaplacianVarianceScalar"/>): the background count
/// is the same integer, the grey values and Laplacians the same floats; only the order of the double sums differs.
/// </summary>
public static class TileQc
{
    /// <summary>The reason to drop the tile, or null to keep it.</summary>
    public static string? Check(RgbImage tile, TileQcOptions options)
    {
        if (BackgroundFraction(tile, options) > options.MaxBackgroundFraction) return DropReason.Background;
        if (options.BlurThreshold > 0 && LaplacianVariance(tile) < options.BlurThreshold) return DropReason.Blur;
        return null;
    }

    public static double BackgroundFraction(RgbImage tile, TileQcOptions options)
    {
        int n = tile.Width * tile.Height;
        int t = options.BackgroundMinBrightness, s = options.BackgroundMaxSaturation;
        if (!Ssse3.IsSupported || s is < 0 or > 257) return BackgroundFractionScalar(tile, options);
        if (t >= 255) return 0; // no 8-bit pixel is brighter
        var p = tile.Pixels.AsSpan();
        var brighter = Vector128.Create((byte)Math.Max(t, 0));
        var all = t < 0;
        var sat = Vector128.Create((ushort)s);
        var k255 = Vector128.Create((ushort)255);
        int bg = 0, i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var (r, g, b) = Deinterleave(p.Slice(3 * i, 48));
            var min = Vector128.Min(Vector128.Min(r, g), b);
            var max = Vector128.Max(Vector128.Max(r, g), b);
            var bright = all ? Vector128<byte>.AllBitsSet : Vector128.GreaterThan(min, brighter);
            if (bright == Vector128<byte>.Zero) continue;
            var d = max - min;
            var (dLo, dHi) = Vector128.Widen(d);
            var (mLo, mHi) = Vector128.Widen(max);
            var lo = Vector128.LessThan(dLo * k255, mLo * sat);
            var hi = Vector128.LessThan(dHi * k255, mHi * sat);
            var grey = Vector128.Narrow(lo, hi).AsByte() & bright;
            bg += BitOperations.PopCount(grey.ExtractMostSignificantBits());
        }
        for (int o = 3 * i; i < n; i++, o += 3) bg += IsBackground(p[o], p[o + 1], p[o + 2], t, s) ? 1 : 0;
        return (double)bg / n;
    }

    /// <summary>Variance of the 4-neighbour Laplacian of the grey image (ITU-R 601 luma), over interior pixels.</summary>
    public static double LaplacianVariance(RgbImage tile)
    {
        int w = tile.Width, h = tile.Height;
        if (w < 3 || h < 3) return 0;
        if (!Ssse3.IsSupported || w < 6) return LaplacianVarianceScalar(tile);
        int n = w * h;
        var grey = _grey is { } buffer && buffer.Length >= n ? buffer : _grey = new float[n];
        var p = tile.Pixels.AsSpan();
        var kr = Vector128.Create(0.299f); var kg = Vector128.Create(0.587f); var kb = Vector128.Create(0.114f);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var (r, g, b) = Deinterleave(p.Slice(3 * i, 48));
            var (r0, r1, r2, r3) = ToSingles(r);
            var (g0, g1, g2, g3) = ToSingles(g);
            var (b0, b1, b2, b3) = ToSingles(b);
            // The scalar expression's order: (0.299 r + 0.587 g) + 0.114 b, each step rounded to float.
            (kr * r0 + kg * g0 + kb * b0).CopyTo(grey.AsSpan(i));
            (kr * r1 + kg * g1 + kb * b1).CopyTo(grey.AsSpan(i + 4));
            (kr * r2 + kg * g2 + kb * b2).CopyTo(grey.AsSpan(i + 8));
            (kr * r3 + kg * g3 + kb * b3).CopyTo(grey.AsSpan(i + 12));
        }
        for (int o = 3 * i; i < n; i++, o += 3) grey[i] = 0.299f * p[o] + 0.587f * p[o + 1] + 0.114f * p[o + 2];

        var four = Vector128.Create(4f);
        var sum = Vector128<double>.Zero;
        var sumSq = Vector128<double>.Zero;
        double tailSum = 0, tailSq = 0;
        var gs = grey.AsSpan(0, n);
        for (int y = 1; y < h - 1; y++)
        {
            int row = y * w, x = 1;
            for (; x + 4 <= w - 1; x += 4)
            {
                int c = row + x;
                var lap = Vector128.Create(gs.Slice(c - 1, 4)) + Vector128.Create(gs.Slice(c + 1, 4))
                          + Vector128.Create(gs.Slice(c - w, 4)) + Vector128.Create(gs.Slice(c + w, 4))
                          - four * Vector128.Create(gs.Slice(c, 4));
                var (lo, hi) = Vector128.Widen(lap);
                sum += lo + hi;
                sumSq += lo * lo + hi * hi;
            }
            for (; x < w - 1; x++)
            {
                int c = row + x;
                double lap = gs[c - 1] + gs[c + 1] + gs[c - w] + gs[c + w] - 4 * gs[c];
                tailSum += lap;
                tailSq += lap * lap;
            }
        }
        long count = (long)(w - 2) * (h - 2);
        double mean = (Vector128.Sum(sum) + tailSum) / count;
        return (Vector128.Sum(sumSq) + tailSq) / count - mean * mean;
    }

    [ThreadStatic] private static float[]? _grey;

    private static readonly Vector128<byte>[] Picks = BuildPicks();

    // Shuffle masks that gather channel c of 16 interleaved RGB pixels from the three 16-byte vectors that hold them.
    private static Vector128<byte>[] BuildPicks()
    {
        var picks = new Vector128<byte>[9];
        Span<byte> lanes = stackalloc byte[16];
        for (int c = 0; c < 3; c++)
        for (int j = 0; j < 3; j++)
        {
            for (int lane = 0; lane < 16; lane++)
            {
                int at = 3 * lane + c - 16 * j;
                lanes[lane] = at is >= 0 and < 16 ? (byte)at : (byte)0x80; // 0x80: pshufb writes zero
            }
            picks[3 * c + j] = Vector128.Create<byte>(lanes);
        }
        return picks;
    }

    private static (Vector128<byte> R, Vector128<byte> G, Vector128<byte> B) Deinterleave(ReadOnlySpan<byte> px48)
    {
        var v0 = Vector128.Create(px48[..16]);
        var v1 = Vector128.Create(px48.Slice(16, 16));
        var v2 = Vector128.Create(px48.Slice(32, 16));
        var k = Picks;
        return (Ssse3.Shuffle(v0, k[0]) | Ssse3.Shuffle(v1, k[1]) | Ssse3.Shuffle(v2, k[2]),
                Ssse3.Shuffle(v0, k[3]) | Ssse3.Shuffle(v1, k[4]) | Ssse3.Shuffle(v2, k[5]),
                Ssse3.Shuffle(v0, k[6]) | Ssse3.Shuffle(v1, k[7]) | Ssse3.Shuffle(v2, k[8]));
    }

    private static (Vector128<float>, Vector128<float>, Vector128<float>, Vector128<float>) ToSingles(Vector128<byte> v)
    {
        var (lo, hi) = Vector128.Widen(v);
        var (a, b) = Vector128.Widen(lo);
        var (c, d) = Vector128.Widen(hi);
        return (Vector128.ConvertToSingle(a.AsInt32()), Vector128.ConvertToSingle(b.AsInt32()),
                Vector128.ConvertToSingle(c.AsInt32()), Vector128.ConvertToSingle(d.AsInt32()));
    }

    private static bool IsBackground(int r, int g, int b, int minBrightness, int maxSaturation)
    {
        int min = Math.Min(r, Math.Min(g, b));
        if (min <= minBrightness) return false;
        int max = Math.Max(r, Math.Max(g, b));
        return (max - min) * 255 < maxSaturation * max;
    }

    /// <summary>The scalar definition of <see cref="BackgroundFraction"/> (reference and fallback).</summary>
    public static double BackgroundFractionScalar(RgbImage tile, TileQcOptions options)
    {
        var p = tile.Pixels;
        int n = tile.Width * tile.Height, bg = 0;
        for (int i = 0, o = 0; i < n; i++, o += 3)
            if (IsBackground(p[o], p[o + 1], p[o + 2], options.BackgroundMinBrightness, options.BackgroundMaxSaturation)) bg++;
        return (double)bg / n;
    }

    /// <summary>The scalar definition of <see cref="LaplacianVariance"/> (reference and fallback).</summary>
    public static double LaplacianVarianceScalar(RgbImage tile)
    {
        int w = tile.Width, h = tile.Height;
        if (w < 3 || h < 3) return 0;
        var grey = new float[w * h];
        var p = tile.Pixels;
        for (int i = 0, o = 0; i < grey.Length; i++, o += 3) grey[i] = 0.299f * p[o] + 0.587f * p[o + 1] + 0.114f * p[o + 2];
        double sum = 0, sumSq = 0;
        for (int y = 1; y < h - 1; y++)
        {
            int row = y * w;
            for (int x = 1; x < w - 1; x++)
            {
                int i = row + x;
                double lap = grey[i - 1] + grey[i + 1] + grey[i - w] + grey[i + w] - 4 * grey[i];
                sum += lap;
                sumSq += lap * lap;
            }
        }
        long n = (long)(w - 2) * (h - 2);
        double mean = sum / n;
        return sumSq / n - mean * mean;
    }
}
