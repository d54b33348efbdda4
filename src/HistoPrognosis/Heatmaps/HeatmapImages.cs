using System.Globalization;
using HistoPrognosis.Imaging;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Heatmaps;

/// <summary>One score drawn as a map: its values per tile, the range the colours span, and its name on the figure.</summary>
public sealed record ScoreMap(string Name, IReadOnlyList<float> Values, double Low, double High)
{
    /// <summary>The values' own range (a flat map: the middle colour).</summary>
    public static ScoreMap OfRange(string name, IReadOnlyList<float> values)
    {
        double lo = values.Count == 0 ? 0 : values.Min(), hi = values.Count == 0 ? 1 : values.Max();
        return new ScoreMap(name, values, lo, hi);
    }

    public double Unit(int i) => High > Low ? (Values[i] - Low) / (High - Low) : 0.5;
}

/// <summary>The pixels of heatmap figures: overlay, side-by-side figure with a colour bar, and tile galleries.</summary>
public static class HeatmapImages
{
    private static readonly (byte, byte, byte) Ink = (20, 20, 20);
    private const int Margin = 12, Gap = 12, TextScale = 2, BarWidth = 22;

    /// <summary>
    /// The thumbnail with the tiles' colours blended in at <see cref="HeatmapConfig.Alpha"/>: where tiles overlap their
    /// values are averaged, the optional Gaussian blur smooths values (sum and coverage blurred alike, so edges do not
    /// fade to the low colour), and only pixels under a tile — and on tissue when clipping — are coloured.
    /// </summary>
    public static RgbImage Overlay(SlideCanvas canvas, IReadOnlyList<TileRect> tiles, ScoreMap map, HeatmapConfig config)
    {
        int w = canvas.Image.Width, h = canvas.Image.Height;
        var sum = new float[w * h];
        var count = new float[w * h];
        var bounds = canvas.Bounds;
        var sides = new List<double>(tiles.Count);
        for (int i = 0; i < tiles.Count; i++)
        {
            var (x0, y0, x1, y1) = bounds.Pixels(tiles[i]);
            float v = (float)map.Unit(i);
            for (int y = y0; y < y1; y++)
            {
                int row = y * w;
                for (int x = x0; x < x1; x++) { sum[row + x] += v; count[row + x] += 1; }
            }
            sides.Add(Math.Max(x1 - x0, y1 - y0));
        }
        var covered = new bool[w * h];
        for (int p = 0; p < covered.Length; p++) covered[p] = count[p] > 0;
        if (config.BlurSigmaTiles > 0 && sides.Count > 0)
        {
            sides.Sort();
            double sigma = config.BlurSigmaTiles * Math.Max(1, sides[sides.Count / 2]);
            GaussianBlur(sum, w, h, sigma);
            GaussianBlur(count, w, h, sigma);
        }
        var colours = ColorMap.Of(config.ColorMap);
        var output = new RgbImage(w, h, (byte[])canvas.Image.Pixels.Clone());
        var tissue = canvas.Tissue.Pixels;
        double a = config.Alpha;
        for (int p = 0; p < covered.Length; p++)
        {
            if (!covered[p] || (config.ClipToTissue && !tissue[p]) || count[p] <= 1e-6f) continue;
            var (r, g, b) = colours.At(sum[p] / count[p]);
            int o = 3 * p;
            output.Pixels[o] = (byte)Math.Round((1 - a) * output.Pixels[o] + a * r);
            output.Pixels[o + 1] = (byte)Math.Round((1 - a) * output.Pixels[o + 1] + a * g);
            output.Pixels[o + 2] = (byte)Math.Round((1 - a) * output.Pixels[o + 2] + a * b);
        }
        return output;
    }

    /// <summary>Title on top; the thumbnail and the overlay side by side; the colour bar with tick labels on the right.</summary>
    public static RgbImage Figure(RgbImage thumbnail, RgbImage overlay, ScoreMap map, string title, HeatmapConfig config)
    {
        int lineHeight = BitmapFont.GlyphHeight * TextScale;
        var ticks = Enumerable.Range(0, 5).Select(k => map.Low + (map.High - map.Low) * k / 4).ToArray();
        var labels = ticks.Select(Label).ToArray();
        int labelWidth = labels.Max(l => BitmapFont.Measure(l, TextScale));
        int top = Margin + lineHeight + Gap;
        int barX = Margin + thumbnail.Width + Gap + overlay.Width + 2 * Gap;
        int width = Math.Max(barX + BarWidth + 6 + labelWidth + Margin, Margin + BitmapFont.Measure(title, TextScale) + Margin);
        int height = top + Math.Max(thumbnail.Height, 5 * lineHeight) + Margin;
        var figure = RgbImage.Blank(width, height);
        Array.Fill(figure.Pixels, (byte)255);
        BitmapFont.Draw(figure, title, Margin, Margin, TextScale, Ink);
        Paste(figure, thumbnail, Margin, top);
        Paste(figure, overlay, Margin + thumbnail.Width + Gap, top);
        // Colour bar: high at the top, the full height of the images (at least room for five labels).
        int barHeight = Math.Max(thumbnail.Height, 5 * lineHeight), barTop = top;
        var colours = ColorMap.Of(config.ColorMap);
        for (int y = 0; y < barHeight; y++)
        {
            var (r, g, b) = colours.At(1 - (double)y / Math.Max(1, barHeight - 1));
            for (int x = 0; x < BarWidth; x++)
            {
                int o = figure.Offset(barX + x, barTop + y);
                figure.Pixels[o] = r; figure.Pixels[o + 1] = g; figure.Pixels[o + 2] = b;
            }
        }
        for (int k = 0; k < ticks.Length; k++)
        {
            int y = barTop + (int)Math.Round((1 - k / 4.0) * (barHeight - 1));
            // The tick sits on the bar's left edge: a stub beside the label would read as a minus sign.
            for (int x = -5; x < 0; x++) Set(figure, barX + x, y, Ink);
            BitmapFont.Draw(figure, labels[k], barX + BarWidth + 6, Math.Clamp(y - lineHeight / 2, barTop, barTop + barHeight - lineHeight), TextScale, Ink);
        }
        return figure;
    }

    /// <summary>
    /// Two rows: the <paramref name="k"/> highest-scored tiles (left = highest) and the k lowest (left = lowest), each
    /// tile fitted in a cell with its score under it.
    /// </summary>
    public static RgbImage Gallery(IReadOnlyList<float> scores, Func<int, RgbImage> tileImage, int k, int cell, string title)
    {
        int n = scores.Count;
        k = Math.Min(k, n);
        var order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        var rows = new[] { ("highest", order.Take(k).ToArray()), ("lowest", order.Reverse().Take(k).ToArray()) };
        int lineHeight = BitmapFont.GlyphHeight * TextScale;
        int rowLabel = BitmapFont.Measure("highest", TextScale) + Gap;
        int cellHeight = cell + 4 + lineHeight;
        int width = Math.Max(Margin + rowLabel + Math.Max(1, k) * (cell + Gap) + Margin, Margin + BitmapFont.Measure(title, TextScale) + Margin);
        int height = Margin + lineHeight + Gap + 2 * (cellHeight + Gap) + Margin;
        var gallery = RgbImage.Blank(width, height);
        Array.Fill(gallery.Pixels, (byte)255);
        BitmapFont.Draw(gallery, title, Margin, Margin, TextScale, Ink);
        for (int r = 0; r < rows.Length; r++)
        {
            int y = Margin + lineHeight + Gap + r * (cellHeight + Gap);
            BitmapFont.Draw(gallery, rows[r].Item1, Margin, y + cell / 2 - lineHeight / 2, TextScale, Ink);
            for (int c = 0; c < rows[r].Item2.Length; c++)
            {
                int i = rows[r].Item2[c], x = Margin + rowLabel + c * (cell + Gap);
                var image = tileImage(i);
                double scale = Math.Min((double)cell / image.Width, (double)cell / image.Height);
                var fitted = Resampler.Area(image, Math.Max(1, (int)Math.Round(image.Width * scale)), Math.Max(1, (int)Math.Round(image.Height * scale)));
                Paste(gallery, fitted, x + (cell - fitted.Width) / 2, y + (cell - fitted.Height) / 2);
                BitmapFont.Draw(gallery, Label(scores[i]), x, y + cell + 4, TextScale, Ink);
            }
        }
        return gallery;
    }

    /// <summary>A short tick label: 3 significant digits, invariant culture.</summary>
    public static string Label(double value)
    {
        if (value == 0) return "0";
        double magnitude = Math.Abs(value);
        return magnitude is >= 1e-3 and < 1e5 ? value.ToString("G3", CultureInfo.InvariantCulture) : value.ToString("0.00e+0", CultureInfo.InvariantCulture);
    }

    private static void Paste(RgbImage target, RgbImage source, int x, int y)
    {
        for (int row = 0; row < source.Height; row++)
        {
            int ty = y + row;
            if (ty < 0 || ty >= target.Height) continue;
            int from = Math.Max(0, -x), to = Math.Min(source.Width, target.Width - x);
            if (to <= from) continue;
            Array.Copy(source.Pixels, source.Offset(from, row), target.Pixels, target.Offset(x + from, ty), (to - from) * 3);
        }
    }

    private static void Set(RgbImage image, int x, int y, (byte R, byte G, byte B) c)
    {
        if (x < 0 || y < 0 || x >= image.Width || y >= image.Height) return;
        int o = image.Offset(x, y);
        image.Pixels[o] = c.R; image.Pixels[o + 1] = c.G; image.Pixels[o + 2] = c.B;
    }

    /// <summary>Separable Gaussian blur in place (kernel to 3σ, borders renormalised by the kernel mass inside).</summary>
    public static void GaussianBlur(float[] values, int width, int height, double sigma)
    {
        int radius = Math.Max(1, (int)Math.Ceiling(3 * sigma));
        var kernel = new float[2 * radius + 1];
        for (int k = -radius; k <= radius; k++) kernel[k + radius] = (float)Math.Exp(-0.5 * k * k / (sigma * sigma));
        var tmp = new float[values.Length];
        Parallel.For(0, height, y =>
        {
            int row = y * width;
            for (int x = 0; x < width; x++)
            {
                float s = 0;
                int a = Math.Max(0, x - radius), b = Math.Min(width - 1, x + radius);
                for (int j = a; j <= b; j++) s += kernel[j - x + radius] * values[row + j];
                tmp[row + x] = s;
            }
        });
        Parallel.For(0, width, x =>
        {
            for (int y = 0; y < height; y++)
            {
                float s = 0;
                int a = Math.Max(0, y - radius), b = Math.Min(height - 1, y + radius);
                for (int j = a; j <= b; j++) s += kernel[j - y + radius] * tmp[j * width + x];
                values[y * width + x] = s;
            }
        });
    }
}
