using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Heatmaps;

/// <summary>A tile's rectangle in level-0 pixels of its slide.</summary>
public readonly record struct TileRect(long X, long Y, long Width, long Height);

/// <summary>
/// What a heatmap is drawn on: a thumbnail whose pixel (0, 0) is level-0 pixel (<see cref="OriginX"/>,
/// <see cref="OriginY"/>) and each pixel spans <see cref="DownsampleX"/> × <see cref="DownsampleY"/> level-0 pixels,
/// with its tissue mask at the same resolution (mask pixel = thumbnail pixel).
/// </summary>
public sealed record SlideCanvas(RgbImage Image, double DownsampleX, double DownsampleY, long OriginX, long OriginY, TissueMask Tissue)
{
    /// <summary>The slide's overview at about <paramref name="maxSide"/> px and its tissue, as the slide stage detects it.</summary>
    public static SlideCanvas FromSlide(ISlide slide, int maxSide, TissueDetectorOptions? tissue = null)
    {
        var l0 = slide.Levels[0];
        double downsample = Math.Max(1, (double)Math.Max(l0.Width, l0.Height) / maxSide);
        var (mask, overview) = TissueDetector.Detect(slide, downsample, tissue);
        if (mask.Width != overview.Image.Width || mask.Height != overview.Image.Height)
            throw new InvalidOperationException($"{slide.Path}: tissue mask {mask.Width}×{mask.Height} does not match the overview {overview.Image.Width}×{overview.Image.Height}");
        return new SlideCanvas(overview.Image, overview.DownsampleX, overview.DownsampleY, 0, 0, mask);
    }

    /// <summary>
    /// A canvas assembled from patch images at their level-0 positions (a patch table with <c>x, y</c>, e.g. IDC), white
    /// where no patch lies. Tissue = covered by a patch and detected as tissue on the canvas; where the detector finds
    /// almost none of the covered area (pale patches), the covered area itself.
    /// </summary>
    public static SlideCanvas FromPatches(IReadOnlyList<TileRect> rects, IReadOnlyList<RgbImage> images, int maxSide)
    {
        if (rects.Count == 0 || rects.Count != images.Count) throw new ArgumentException("one image per patch rectangle, at least one");
        long x0 = rects.Min(r => r.X), y0 = rects.Min(r => r.Y), x1 = rects.Max(r => r.X + r.Width), y1 = rects.Max(r => r.Y + r.Height);
        double ds = Math.Max(1, (double)Math.Max(x1 - x0, y1 - y0) / maxSide);
        int w = Math.Max(1, (int)Math.Ceiling((x1 - x0) / ds)), h = Math.Max(1, (int)Math.Ceiling((y1 - y0) / ds));
        var canvas = RgbImage.Blank(w, h);
        Array.Fill(canvas.Pixels, (byte)255);
        var covered = new bool[w * h];
        var bounds = new CanvasBounds(x0, y0, ds, ds, w, h);
        for (int i = 0; i < rects.Count; i++)
        {
            var (cx0, cy0, cx1, cy1) = bounds.Pixels(rects[i]);
            if (cx1 <= cx0 || cy1 <= cy0) continue;
            var scaled = Resampler.Area(images[i], cx1 - cx0, cy1 - cy0);
            for (int y = 0; y < scaled.Height; y++)
            {
                Array.Copy(scaled.Pixels, scaled.Offset(0, y), canvas.Pixels, canvas.Offset(cx0, cy0 + y), scaled.Width * 3);
                Array.Fill(covered, true, (cy0 + y) * w + cx0, scaled.Width);
            }
        }
        var detected = TissueDetector.Detect(canvas, ds, ds, null);
        var tissue = new bool[w * h];
        int both = 0, cover = 0;
        for (int p = 0; p < tissue.Length; p++)
        {
            tissue[p] = covered[p] && detected.Pixels[p];
            both += tissue[p] ? 1 : 0;
            cover += covered[p] ? 1 : 0;
        }
        // The detector thresholds saturation over the whole canvas: a patch set of pale tissue can fall below it.
        if (both < 0.1 * cover) tissue = covered;
        return new SlideCanvas(canvas, ds, ds, x0, y0, new TissueMask(w, h, tissue, ds, ds));
    }

    public CanvasBounds Bounds => new(OriginX, OriginY, DownsampleX, DownsampleY, Image.Width, Image.Height);
}

/// <summary>Level-0 rectangles to thumbnail pixel rectangles (half-open, clamped to the thumbnail).</summary>
public readonly record struct CanvasBounds(long OriginX, long OriginY, double DownsampleX, double DownsampleY, int Width, int Height)
{
    public (int X0, int Y0, int X1, int Y1) Pixels(TileRect r)
    {
        int x0 = Math.Clamp((int)Math.Round((r.X - OriginX) / DownsampleX), 0, Width);
        int y0 = Math.Clamp((int)Math.Round((r.Y - OriginY) / DownsampleY), 0, Height);
        int x1 = Math.Clamp((int)Math.Round((r.X + r.Width - OriginX) / DownsampleX), 0, Width);
        int y1 = Math.Clamp((int)Math.Round((r.Y + r.Height - OriginY) / DownsampleY), 0, Height);
        // A tile smaller than a thumbnail pixel still covers the pixel it lies in.
        if (x1 == x0 && x0 < Width) x1 = x0 + 1;
        if (y1 == y0 && y0 < Height) y1 = y0 + 1;
        return (x0, y0, x1, y1);
    }
}
