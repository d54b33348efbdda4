using System.Globalization;
using System.Text;

namespace HistoPrognosis.Tiling;

/// <summary>A polygon in mask-pixel corner coordinates: one outer ring and its holes, each closed (first = last point).</summary>
public sealed record MaskPolygon(IReadOnlyList<(int X, int Y)> Outer, IReadOnlyList<IReadOnlyList<(int X, int Y)>> Holes);

/// <summary>
/// Exact pixel-edge contours of a tissue mask: one polygon per 4-connected tissue region, with its holes, so the
/// polygons cover exactly the mask's tissue pixels. Rings run clockwise on screen (outer) / anticlockwise (holes).
/// </summary>
public static class MaskContours
{
    public static IReadOnlyList<MaskPolygon> Trace(TissueMask mask)
    {
        int w = mask.Width, h = mask.Height;
        var (labels, sizes, _) = TissueDetector.Label(mask.Pixels, w, h, true);
        int regions = sizes.Count - 1;
        // Directed boundary edges of each region, clockwise around its pixels: key = start vertex, value = (end, pixel).
        var edges = new Dictionary<long, List<(long End, int Pixel)>>[regions + 1];
        for (int i = 1; i <= regions; i++) edges[i] = new();
        long V(int x, int y) => (long)y * (w + 1) + x;
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            int p = y * w + x, l = labels[p];
            if (l == 0) continue;
            var e = edges[l];
            if (y == 0 || labels[p - w] != l) Add(e, V(x, y), V(x + 1, y), p);             // top, going right
            if (x == w - 1 || labels[p + 1] != l) Add(e, V(x + 1, y), V(x + 1, y + 1), p); // right, going down
            if (y == h - 1 || labels[p + w] != l) Add(e, V(x + 1, y + 1), V(x, y + 1), p); // bottom, going left
            if (x == 0 || labels[p - 1] != l) Add(e, V(x, y + 1), V(x, y), p);             // left, going up
        }
        var polygons = new List<MaskPolygon>();
        for (int l = 1; l <= regions; l++)
        {
            var rings = new List<List<(int, int)>>();
            var e = edges[l];
            while (e.Count > 0)
            {
                var (startV, list) = e.First();
                var (nextV, pixel) = list[0];
                Remove(e, startV, 0);
                var ring = new List<(int, int)> { ((int)(startV % (w + 1)), (int)(startV / (w + 1))) };
                long v = nextV;
                while (v != startV)
                {
                    ring.Add(((int)(v % (w + 1)), (int)(v / (w + 1))));
                    var outs = e[v];
                    // At a saddle two edges leave: stay with the same pixel's boundary (4-connectivity).
                    int k = 0;
                    if (outs.Count > 1) k = Math.Max(0, outs.FindIndex(o => o.Pixel == pixel));
                    (nextV, pixel) = outs[k];
                    Remove(e, v, k);
                    v = nextV;
                }
                ring.Add(ring[0]);
                rings.Add(Simplify(ring));
            }
            var outer = rings.OrderByDescending(SignedArea).First();
            var holes = rings.Where(r => !ReferenceEquals(r, outer)).Select(r => (IReadOnlyList<(int, int)>)r).ToList();
            polygons.Add(new MaskPolygon(outer, holes));
        }
        return polygons;

        static void Add(Dictionary<long, List<(long, int)>> e, long a, long b, int p)
        {
            if (!e.TryGetValue(a, out var list)) e[a] = list = new List<(long, int)>(1);
            list.Add((b, p));
        }
        static void Remove(Dictionary<long, List<(long, int)>> e, long a, int k)
        {
            var list = e[a];
            list.RemoveAt(k);
            if (list.Count == 0) e.Remove(a);
        }
    }

    /// <summary>Shoelace area in image coordinates (y down): positive for clockwise-on-screen rings.</summary>
    public static double SignedArea(IReadOnlyList<(int X, int Y)> ring)
    {
        double s = 0;
        for (int i = 0; i + 1 < ring.Count; i++) s += (double)ring[i].X * ring[i + 1].Y - (double)ring[i + 1].X * ring[i].Y;
        return s / 2;
    }

    // Drops points in the middle of straight runs (the ring stays closed).
    private static List<(int, int)> Simplify(List<(int X, int Y)> ring)
    {
        var pts = ring.Take(ring.Count - 1).ToList();
        var result = new List<(int, int)>();
        for (int i = 0; i < pts.Count; i++)
        {
            var a = pts[(i - 1 + pts.Count) % pts.Count];
            var b = pts[i];
            var c = pts[(i + 1) % pts.Count];
            if ((b.X - a.X) * (c.Y - b.Y) - (b.Y - a.Y) * (c.X - b.X) != 0) result.Add(b);
        }
        result.Add(result[0]);
        return result;
    }

    /// <summary>
    /// A QuPath-compatible GeoJSON FeatureCollection: one "Tissue" annotation polygon per region, in level-0 pixels.
    /// </summary>
    public static string ToGeoJson(TissueMask mask, IReadOnlyList<MaskPolygon>? polygons = null)
    {
        polygons ??= Trace(mask);
        var sb = new StringBuilder();
        sb.Append("{\"type\":\"FeatureCollection\",\"features\":[");
        for (int i = 0; i < polygons.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append("{\"type\":\"Feature\",\"id\":\"tissue-").Append(i + 1).Append("\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[");
            AppendRing(sb, polygons[i].Outer, mask);
            foreach (var hole in polygons[i].Holes)
            {
                sb.Append(',');
                AppendRing(sb, hole, mask);
            }
            sb.Append("]},\"properties\":{\"objectType\":\"annotation\",\"classification\":{\"name\":\"Tissue\",\"color\":[0,160,0]}}}");
        }
        sb.Append("]}");
        return sb.ToString();
    }

    private static void AppendRing(StringBuilder sb, IReadOnlyList<(int X, int Y)> ring, TissueMask mask)
    {
        sb.Append('[');
        for (int i = 0; i < ring.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append('[').Append(Num(ring[i].X * mask.DownsampleX)).Append(',').Append(Num(ring[i].Y * mask.DownsampleY)).Append(']');
        }
        sb.Append(']');
    }

    private static string Num(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
