using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;

namespace HistoPrognosis.Tiling;

/// <summary>A downsampled overview of a whole slide and the level-0 pixels each of its pixels spans.</summary>
public sealed record SlideOverview(RgbImage Image, double DownsampleX, double DownsampleY, int SourceLevel);

/// <summary>Builds a slide overview by area-averaging the best level, streamed in tile-aligned blocks (memory bounded by the overview).</summary>
public static class LowResolution
{
    private const int Block = 2048, Strip = 512;

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
        // The level is read in strips of Strip rows and blocks of Block columns, both starting at multiples of 512 —
        // whole tiles of a level tiled 256 or 512, which a slide decodes straight from its JPEG tiles. Each level pixel
        // is summed into the overview pixel its centre falls in; an overview row is written once no later strip can
        // reach it, so only the rows one strip covers are held.
        int RowOf(long ly) => Math.Min(th - 1, (int)((ly + 0.5) / sy));
        int capacity = (int)Math.Min(th, Math.Ceiling(Strip / sy) + 2);
        var sums = new int[capacity * tw * 3];
        var counts = new int[capacity * tw];
        var colMap = new int[Block];
        int baseRow = 0; // overview row held at index 0 of sums
        for (long by = 0; by < lv.Height; by += Strip)
        {
            int bh = (int)Math.Min(Strip, lv.Height - by);
            for (long bx = 0; bx < lv.Width; bx += Block)
            {
                int bw = (int)Math.Min(Block, lv.Width - bx);
                var img = slide.ReadRegion(level, (long)Math.Round(bx * lv.Downsample), (long)Math.Round(by * lv.Downsample), bw, bh);
                var px = img.Pixels;
                for (int x = 0; x < bw; x++) colMap[x] = Math.Min(tw - 1, (int)((bx + x + 0.5) / sx));
                for (int y = 0; y < bh; y++)
                {
                    int rowBase = (RowOf(by + y) - baseRow) * tw;
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
            int done = by + bh < lv.Height ? RowOf(by + bh) : th; // rows before it are complete
            for (int ty = baseRow; ty < done; ty++)
            for (int tx = 0; tx < tw; tx++)
            {
                int t = (ty - baseRow) * tw + tx, o = (ty * tw + tx) * 3;
                int c = ty - baseRow < capacity ? counts[t] : 0;
                if (c == 0) { output[o] = output[o + 1] = output[o + 2] = 255; continue; }
                output[o] = (byte)((sums[3 * t] + c / 2) / c);
                output[o + 1] = (byte)((sums[3 * t + 1] + c / 2) / c);
                output[o + 2] = (byte)((sums[3 * t + 2] + c / 2) / c);
            }
            // The rows still open move to the front.
            int keep = Math.Min(capacity, done - baseRow);
            Array.Copy(sums, keep * tw * 3, sums, 0, (capacity - keep) * tw * 3);
            Array.Clear(sums, (capacity - keep) * tw * 3, keep * tw * 3);
            Array.Copy(counts, keep * tw, counts, 0, (capacity - keep) * tw);
            Array.Clear(counts, (capacity - keep) * tw, keep * tw);
            baseRow = done;
        }
        return new SlideOverview(new RgbImage(tw, th, output), (double)l0.Width / tw, (double)l0.Height / th, level);
    }
}
