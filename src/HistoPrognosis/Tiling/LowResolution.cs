using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;

namespace HistoPrognosis.Tiling;

/// <summary>A downsampled overview of a whole slide and the level-0 pixels each of its pixels spans.</summary>
public sealed record SlideOverview(RgbImage Image, double DownsampleX, double DownsampleY, int SourceLevel);

/// <summary>Builds a slide overview by area-averaging the best level, streamed in blocks (memory bounded by the overview).</summary>
public static class LowResolution
{
    private const int Block = 2048;

    /// <summary>
    /// An overview at <paramref name="downsample"/> level-0 pixels per pixel (at least 1): read from the coarsest level
    /// that is still at least as fine, then area-averaged.
    /// </summary>
    public static SlideOverview Read(ISlide slide, double downsample)
    {
        if (!(downsample >= 1)) downsample = 1;
        var levels = slide.Levels;
        int level = 0;
        for (int i = 1; i < levels.Count; i++)
            if (levels[i].Downsample <= downsample * 1.0001) level = i;
        var l0 = levels[0];
        int tw = (int)Math.Max(1, Math.Ceiling(l0.Width / downsample)), th = (int)Math.Max(1, Math.Ceiling(l0.Height / downsample));
        var lv = levels[level];
        // Level pixels per overview pixel along each axis, from the exact level sizes.
        double sx = downsample * lv.Width / l0.Width, sy = downsample * lv.Height / l0.Height;
        var output = new byte[tw * th * 3];
        const int band = 64;
        var sums = new int[band * tw * 3];
        var counts = new int[band * tw];
        for (int ty0 = 0; ty0 < th; ty0 += band)
        {
            int ty1 = Math.Min(th, ty0 + band);
            Array.Clear(sums);
            Array.Clear(counts);
            long ly0 = (long)Math.Floor(ty0 * sy), ly1 = Math.Min(lv.Height, (long)Math.Ceiling(ty1 * sy));
            for (long by = ly0; by < ly1; by += Block)
            {
                int bh = (int)Math.Min(Block, ly1 - by);
                for (long bx = 0; bx < lv.Width; bx += Block)
                {
                    int bw = (int)Math.Min(Block, lv.Width - bx);
                    var img = slide.ReadRegion(level, (long)Math.Round(bx * lv.Downsample), (long)Math.Round(by * lv.Downsample), bw, bh);
                    var px = img.Pixels;
                    var colMap = new int[bw];
                    for (int x = 0; x < bw; x++) colMap[x] = Math.Min(tw - 1, (int)((bx + x + 0.5) / sx));
                    for (int y = 0; y < bh; y++)
                    {
                        int ty = Math.Min(th - 1, (int)((by + y + 0.5) / sy));
                        if (ty < ty0 || ty >= ty1) continue;
                        int rowBase = (ty - ty0) * tw;
                        int o = y * bw * 3;
                        for (int x = 0; x < bw; x++, o += 3)
                        {
                            int t = rowBase + colMap[x];
                            sums[3 * t] += px[o];
                            sums[3 * t + 1] += px[o + 1];
                            sums[3 * t + 2] += px[o + 2];
                            counts[t]++;
                        }
                    }
                }
            }
            for (int ty = ty0; ty < ty1; ty++)
            for (int tx = 0; tx < tw; tx++)
            {
                int t = (ty - ty0) * tw + tx, o = (ty * tw + tx) * 3;
                int c = counts[t];
                if (c == 0) { output[o] = output[o + 1] = output[o + 2] = 255; continue; }
                output[o] = (byte)((sums[3 * t] + c / 2) / c);
                output[o + 1] = (byte)((sums[3 * t + 1] + c / 2) / c);
                output[o + 2] = (byte)((sums[3 * t + 2] + c / 2) / c);
            }
        }
        return new SlideOverview(new RgbImage(tw, th, output), (double)l0.Width / tw, (double)l0.Height / th, level);
    }
}
