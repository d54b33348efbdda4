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

/// <summary>Per-tile quality control: background fraction and focus (variance of the 4-neighbour Laplacian).</summary>
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
        var p = tile.Pixels;
        int n = tile.Width * tile.Height, bg = 0;
        for (int i = 0, o = 0; i < n; i++, o += 3)
        {
            int r = p[o], g = p[o + 1], b = p[o + 2];
            int min = Math.Min(r, Math.Min(g, b));
            if (min <= options.BackgroundMinBrightness) continue;
            int max = Math.Max(r, Math.Max(g, b));
            if ((max - min) * 255 < options.BackgroundMaxSaturation * max) bg++;
        }
        return (double)bg / n;
    }

    /// <summary>Variance of the 4-neighbour Laplacian of the grey image (ITU-R 601 luma), over interior pixels.</summary>
    public static double LaplacianVariance(RgbImage tile)
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
