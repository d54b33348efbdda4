namespace HistoPrognosis.Imaging;

/// <summary>
/// Images laid out on a square grid of equal cells, white where a cell or its remainder is empty: one region that
/// stands for many small tiles (e.g. a stain estimate for a whole slide or patient).
/// </summary>
public static class Mosaic
{
    /// <summary>At most <paramref name="maxTiles"/> of the images, taken evenly through the list (all when fewer).</summary>
    public static RgbImage Build(IReadOnlyList<RgbImage> images, int maxTiles = 64)
    {
        if (images.Count == 0) throw new ArgumentException("no images", nameof(images));
        if (maxTiles < 1) throw new ArgumentOutOfRangeException(nameof(maxTiles));
        var chosen = images.Count <= maxTiles ? images : Enumerable.Range(0, maxTiles).Select(k => images[(int)((long)k * images.Count / maxTiles)]).ToList();
        int cell = chosen.Max(i => Math.Max(i.Width, i.Height)), grid = (int)Math.Ceiling(Math.Sqrt(chosen.Count));
        var mosaic = RgbImage.Blank(cell * grid, cell * grid);
        Array.Fill(mosaic.Pixels, (byte)255);
        for (int k = 0; k < chosen.Count; k++)
        {
            var image = chosen[k];
            int ox = (k % grid) * cell, oy = (k / grid) * cell;
            for (int y = 0; y < image.Height; y++)
                Array.Copy(image.Pixels, image.Offset(0, y), mosaic.Pixels, mosaic.Offset(ox, oy + y), image.Width * 3);
        }
        return mosaic;
    }
}
