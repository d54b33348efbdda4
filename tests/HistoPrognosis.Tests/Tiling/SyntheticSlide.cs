using NetVips;

namespace HistoPrognosis.Tests.Tiling;

/// <summary>
/// A pyramidal TIFF made in the test with known geometry: 3072 × 2304 px at 0.25 µm/px, LZW (lossless), 256 px tiles,
/// levels 1, 2, 4, 8, ... (libvips mean-shrinks each level). Content: 192 px blocks; the blocks with
/// 2 ≤ bx &lt; 10 and 3 ≤ by &lt; 9 are "tissue" in a colour that encodes the block, everything else is white glass.
/// </summary>
public static class SyntheticSlide
{
    public const int Width = 3072, Height = 2304, Block = 192;
    public const double Mpp = 0.25;

    public static bool IsTissue(long bx, long by) => bx is >= 2 and < 10 && by is >= 3 and < 9;

    public static (byte R, byte G, byte B) Colour(long bx, long by) =>
        IsTissue(bx, by) ? ((byte)(100 + bx * 10), (byte)(40 + by * 10), (byte)160) : ((byte)255, (byte)255, (byte)255);

    public static string Write(string dir, bool withResolution = true)
    {
        var pixels = new byte[Width * Height * 3];
        for (int y = 0; y < Height; y++)
        for (int x = 0; x < Width; x++)
        {
            var (r, g, b) = Colour(x / Block, y / Block);
            int o = (y * Width + x) * 3;
            pixels[o] = r; pixels[o + 1] = g; pixels[o + 2] = b;
        }
        var path = Path.Combine(dir, withResolution ? "synthetic.tif" : "synthetic-nompp.tif");
        using var image = Image.NewFromMemory(pixels, Width, Height, 3, Enums.BandFormat.Uchar);
        // xres/yres are pixels per millimetre: 4000 px/mm = 0.25 µm/px.
        using var withRes = withResolution ? image.Copy(xres: 1000.0 / Mpp, yres: 1000.0 / Mpp) : image.Copy(xres: 1.0, yres: 1.0);
        withRes.Tiffsave(path, tile: true, tileWidth: 256, tileHeight: 256, pyramid: true,
            compression: Enums.ForeignTiffCompression.Lzw, regionShrink: Enums.RegionShrink.Mean);
        return path;
    }
}
