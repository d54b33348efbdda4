using System.Numerics;
using System.Runtime.InteropServices;
using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;

namespace HistoPrognosis.Tiling;

/// <summary>Settings of <see cref="TissueDetector"/>.</summary>
public sealed record TissueDetectorOptions
{
    /// <summary>Box-filter radius (mask pixels) applied to the saturation before thresholding.</summary>
    public int BlurRadius { get; init; } = 2;

    /// <summary>Lowest saturation threshold (0–255) allowed, so an almost empty slide does not turn its noise into tissue.</summary>
    public int MinThreshold { get; init; } = 15;

    /// <summary>Morphological closing then opening radius (mask pixels, square element).</summary>
    public int MorphologyRadius { get; init; } = 2;

    /// <summary>Tissue pieces smaller than this (µm²) are dropped; holes smaller than <see cref="MinHoleAreaUm2"/> are filled.</summary>
    public double MinTissueAreaUm2 { get; init; } = 20_000;

    public double MinHoleAreaUm2 { get; init; } = 10_000;

    /// <summary>Used instead of the areas above when the slide's µm/px is unknown (mask pixels).</summary>
    public int MinTissuePixels { get; init; } = 64;

    public int MinHolePixels { get; init; } = 32;

    /// <summary>Largest mask side; the overview is made coarser when needed (bounds memory on huge slides).</summary>
    public int MaxMaskSide { get; init; } = 4096;
}

/// <summary>
/// Tissue detection on a low-resolution overview: HSV saturation, box blur, Otsu threshold (never below
/// <see cref="TissueDetectorOptions.MinThreshold"/>), closing + opening, small holes filled and small pieces removed.
/// </summary>
public static class TissueDetector
{
    /// <summary>Detects tissue at (at most) <paramref name="downsample"/> level-0 pixels per mask pixel.</summary>
    public static (TissueMask Mask, SlideOverview Overview) Detect(ISlide slide, double downsample, TissueDetectorOptions? options = null)
    {
        options ??= new TissueDetectorOptions();
        var l0 = slide.Levels[0];
        downsample = Math.Max(downsample, Math.Max(1, (double)Math.Max(l0.Width, l0.Height) / options.MaxMaskSide));
        var overview = LowResolution.Read(slide, downsample);
        double? mpp = slide.MppX is { } mx && slide.MppY is { } my ? Math.Sqrt(mx * overview.DownsampleX * my * overview.DownsampleY) : null;
        return (Detect(overview.Image, overview.DownsampleX, overview.DownsampleY, mpp, options), overview);
    }

    /// <summary>Detects tissue in an RGB image; <paramref name="maskMpp"/> (µm per mask pixel) converts the area limits.</summary>
    public static TissueMask Detect(RgbImage image, double downsampleX, double downsampleY, double? maskMpp, TissueDetectorOptions? options = null)
    {
        options ??= new TissueDetectorOptions();
        int w = image.Width, h = image.Height, n = w * h;
        var sat = new byte[n];
        var px = image.Pixels;
        for (int i = 0; i < n; i++)
        {
            int r = px[3 * i], g = px[3 * i + 1], b = px[3 * i + 2];
            int max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
            sat[i] = max == 0 ? (byte)0 : (byte)((max - min) * 255 / max);
        }
        var blurred = BoxBlur(sat, w, h, options.BlurRadius);
        int threshold = Math.Max(options.MinThreshold, Otsu(blurred));
        var mask = new bool[n];
        for (int i = 0; i < n; i++) mask[i] = blurred[i] > threshold;
        mask = Morphology(mask, w, h, options.MorphologyRadius, dilateFirst: true);  // closing
        mask = Morphology(mask, w, h, options.MorphologyRadius, dilateFirst: false); // opening
        int minTissue = options.MinTissuePixels, minHole = options.MinHolePixels;
        if (maskMpp is { } m && m > 0)
        {
            minTissue = (int)Math.Ceiling(options.MinTissueAreaUm2 / (m * m));
            minHole = (int)Math.Ceiling(options.MinHoleAreaUm2 / (m * m));
        }
        FillHoles(mask, w, h, minHole);
        RemoveSmall(mask, w, h, minTissue);
        return new TissueMask(w, h, mask, downsampleX, downsampleY, threshold);
    }

    /// <summary>Otsu's threshold of an 8-bit sample (the value t maximising between-class variance of ≤ t vs &gt; t).</summary>
    public static int Otsu(byte[] values)
    {
        var hist = new long[256];
        foreach (var v in values) hist[v]++;
        long total = values.Length;
        double sumAll = 0;
        for (int i = 0; i < 256; i++) sumAll += i * (double)hist[i];
        double sumB = 0, best = -1;
        long wB = 0;
        int threshold = 0;
        for (int t = 0; t < 256; t++)
        {
            wB += hist[t];
            if (wB == 0) continue;
            long wF = total - wB;
            if (wF == 0) break;
            sumB += t * (double)hist[t];
            double mB = sumB / wB, mF = (sumAll - sumB) / wF;
            double between = (double)wB * wF * (mB - mF) * (mB - mF);
            if (between > best) { best = between; threshold = t; }
        }
        return threshold;
    }

    private static byte[] BoxBlur(byte[] src, int w, int h, int r)
    {
        if (r <= 0) return src;
        var tmp = new int[w * h];
        for (int y = 0; y < h; y++)
        {
            int sum = 0, row = y * w;
            for (int x = -r; x <= r; x++) sum += src[row + Math.Clamp(x, 0, w - 1)];
            for (int x = 0; x < w; x++)
            {
                tmp[row + x] = sum;
                sum += src[row + Math.Min(w - 1, x + r + 1)] - src[row + Math.Max(0, x - r)];
            }
        }
        // Vertical pass row by row with one running sum per column: the same sums as a column walk, in memory order.
        var dst = new byte[w * h];
        int area = (2 * r + 1) * (2 * r + 1);
        var sums = new int[w];
        for (int y = -r; y <= r; y++)
        {
            int row = Math.Clamp(y, 0, h - 1) * w;
            for (int x = 0; x < w; x++) sums[x] += tmp[row + x];
        }
        for (int y = 0; y < h; y++)
        {
            int row = y * w, add = Math.Min(h - 1, y + r + 1) * w, rem = Math.Max(0, y - r) * w;
            for (int x = 0; x < w; x++)
            {
                dst[row + x] = (byte)((sums[x] + area / 2) / area);
                sums[x] += tmp[add + x] - tmp[rem + x];
            }
        }
        return dst;
    }

    // Square-element dilation/erosion as separable OR/AND passes; dilateFirst=true gives closing, false opening.
    private static bool[] Morphology(bool[] mask, int w, int h, int r, bool dilateFirst)
    {
        if (r <= 0) return mask;
        return dilateFirst ? Erode(Dilate(mask, w, h, r), w, h, r) : Dilate(Erode(mask, w, h, r), w, h, r);
    }

    private static bool[] Dilate(bool[] m, int w, int h, int r) => Vertical(Horizontal(m, w, h, r, any: true), w, h, r, any: true);

    // Outside the image counts as background for dilation and as tissue for erosion (no erosion from the border):
    // so each pass is the OR (dilation) or AND (erosion) of the in-image neighbours within r along one axis.
    private static bool[] Erode(bool[] m, int w, int h, int r) => Vertical(Horizontal(m, w, h, r, any: false), w, h, r, any: false);

    private static bool[] Horizontal(bool[] m, int w, int h, int r, bool any)
    {
        var dst = (bool[])m.Clone();
        var source = MemoryMarshal.Cast<bool, byte>(m.AsSpan());
        var target = MemoryMarshal.Cast<bool, byte>(dst.AsSpan());
        for (int y = 0; y < h; y++)
        {
            var row = source.Slice(y * w, w);
            var into = target.Slice(y * w, w);
            for (int d = 1; d <= r && d < w; d++)
            {
                Combine(into[..(w - d)], row[d..], any); // the neighbour d to the right
                Combine(into[d..], row[..(w - d)], any); // and d to the left
            }
        }
        return dst;
    }

    private static bool[] Vertical(bool[] m, int w, int h, int r, bool any)
    {
        var dst = (bool[])m.Clone();
        var source = MemoryMarshal.Cast<bool, byte>(m.AsSpan());
        var target = MemoryMarshal.Cast<bool, byte>(dst.AsSpan());
        for (int d = 1; d <= r && d < h; d++)
        {
            Combine(target[..((h - d) * w)], source[(d * w)..], any); // the row d below
            Combine(target[(d * w)..], source[..((h - d) * w)], any); // and d above
        }
        return dst;
    }

    // into[i] = into[i] | from[i] (or &): bools are the bytes 0 and 1, which both operations keep.
    private static void Combine(Span<byte> into, ReadOnlySpan<byte> from, bool or)
    {
        int i = 0, n = into.Length, step = Vector<byte>.Count;
        for (; i <= n - step; i += step)
        {
            var a = new Vector<byte>(into[i..]);
            var b = new Vector<byte>(from[i..]);
            (or ? a | b : a & b).CopyTo(into[i..]);
        }
        for (; i < n; i++) into[i] = or ? (byte)(into[i] | from[i]) : (byte)(into[i] & from[i]);
    }

    /// <summary>Labels 4-connected regions of pixels equal to <paramref name="value"/>; returns labels (0 = other) and region sizes.</summary>
    internal static (int[] Labels, List<int> Sizes, List<bool> TouchesBorder) Label(bool[] m, int w, int h, bool value)
    {
        var labels = new int[m.Length];
        var sizes = new List<int> { 0 };
        var border = new List<bool> { false };
        var stack = new Stack<int>();
        for (int start = 0; start < m.Length; start++)
        {
            if (m[start] != value || labels[start] != 0) continue;
            int label = sizes.Count, size = 0;
            bool touches = false;
            labels[start] = label;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int p = stack.Pop();
                size++;
                int x = p % w, y = p / w;
                if (x == 0 || y == 0 || x == w - 1 || y == h - 1) touches = true;
                if (x > 0 && m[p - 1] == value && labels[p - 1] == 0) { labels[p - 1] = label; stack.Push(p - 1); }
                if (x < w - 1 && m[p + 1] == value && labels[p + 1] == 0) { labels[p + 1] = label; stack.Push(p + 1); }
                if (y > 0 && m[p - w] == value && labels[p - w] == 0) { labels[p - w] = label; stack.Push(p - w); }
                if (y < h - 1 && m[p + w] == value && labels[p + w] == 0) { labels[p + w] = label; stack.Push(p + w); }
            }
            sizes.Add(size);
            border.Add(touches);
        }
        return (labels, sizes, border);
    }

    private static void RemoveSmall(bool[] m, int w, int h, int minPixels)
    {
        var (labels, sizes, _) = Label(m, w, h, true);
        for (int i = 0; i < m.Length; i++) if (labels[i] > 0 && sizes[labels[i]] < minPixels) m[i] = false;
    }

    private static void FillHoles(bool[] m, int w, int h, int maxHolePixels)
    {
        var (labels, sizes, border) = Label(m, w, h, false);
        for (int i = 0; i < m.Length; i++)
            if (labels[i] > 0 && !border[labels[i]] && sizes[labels[i]] < maxHolePixels) m[i] = true;
    }
}
