using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;
using HistoPrognosis.Tests.Tiling;
using HistoPrognosis.Tiling;
using NetVips;

namespace HistoPrognosis.Tests.Slides;

/// <summary>
/// Whole JPEG tiles decoded from the TIFF's bytes by libjpeg-turbo (<see cref="DirectJpegTiles"/>, the default) against
/// each backend's own decoder (<see cref="SlideOpenOptions.DirectJpegTiles"/> off): the same bytes on the real Aperio
/// slide (RGB in JPEG) and on a generic YCbCr 4:2:0 pyramid made from it; reads it does not apply to fall back; a
/// damaged tile is an error naming the slide and the tile. And the vectorised tile QC against its scalar definition.
/// </summary>
public sealed class DirectJpegTests : IDisposable
{
    private readonly string _dir = WsiFixtures.TempDir("directjpeg");

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>CMU-1 re-saved as a generic pyramidal JPEG TIFF (YCbCr 4:2:0, tiled 256, Q 85) — as make_big_slide.sh does.</summary>
    private string GenericJpegTiff()
    {
        var path = Path.Combine(_dir, "cmu-ycbcr.tif");
        using var page = Image.NewFromFile(WsiFixtures.Cmu1, kwargs: new VOption { { "page", 0 } });
        using var rgb = page.Copy(xres: 2004.0, yres: 2004.0);
        rgb.Tiffsave(path, tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: Enums.ForeignTiffCompression.Jpeg, q: 85);
        return path;
    }

    private static ISlide Open(string path, SlideBackend backend, bool direct) =>
        SlideFactory.Open(path, new SlideOpenOptions { Backend = backend, DirectJpegTiles = direct });

    private static bool Direct(ISlide slide, int level) => slide switch
    {
        VipsSlide v => v.DecodesTilesDirectly(level),
        OpenSlideSlide o => o.DecodesTilesDirectly(level),
        _ => false,
    };

    private static void AssertSamePixels(RgbImage expected, RgbImage actual, string what)
    {
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.Height, actual.Height);
        Assert.True(expected.Pixels.AsSpan().SequenceEqual(actual.Pixels), $"{what}: pixels differ (max {WsiFixtures.Difference(expected, actual).Max})");
    }

    [Theory]
    [InlineData(SlideBackend.OpenSlide)] // the default for an Aperio file
    [InlineData(SlideBackend.Vips)]
    public void AperioRgbTiles_AreTheBackendsPixels_BitForBit(SlideBackend backend)
    {
        Assert.Equal(SlideBackend.OpenSlide, SlideFactory.Detect(WsiFixtures.Cmu1));
        using var fast = Open(WsiFixtures.Cmu1, backend, direct: true);
        using var reference = Open(WsiFixtures.Cmu1, backend, direct: false);
        Assert.True(Direct(fast, 0));
        Assert.False(Direct(reference, 0));
        int tiles = 0;
        for (long y = 0; y + 240 <= 2967; y += 240)
        for (long x = 0; x + 240 <= 2220; x += 240, tiles++)
            AssertSamePixels(reference.ReadRegion(0, x, y, 240, 240), fast.ReadRegion(0, x, y, 240, 240), $"tile at ({x}, {y})");
        Assert.Equal(108, tiles);
        // A block of whole tiles, and one that ends at the slide's bottom-right corner (edge tiles cut).
        AssertSamePixels(reference.ReadRegion(0, 480, 720, 720, 480), fast.ReadRegion(0, 480, 720, 720, 480), "3x2 tiles");
        AssertSamePixels(reference.ReadRegion(0, 1920, 2880, 300, 87), fast.ReadRegion(0, 1920, 2880, 300, 87), "corner");
        Assert.True(WsiFixtures.StdDev(fast.ReadRegion(0, 960, 1200, 240, 240)) > 15); // a real picture, not a blank
    }

    [Fact]
    public void GenericYCbCrTiles_AreLibvipsAndOpenSlidePixels_BitForBit_AtEveryLevel()
    {
        var path = GenericJpegTiff();
        using var fast = Open(path, SlideBackend.Vips, direct: true);
        using var vips = Open(path, SlideBackend.Vips, direct: false);
        using var openslideFast = Open(path, SlideBackend.OpenSlide, direct: true);
        using var openslide = Open(path, SlideBackend.OpenSlide, direct: false);
        Assert.Equal(fast.Levels.Count, openslide.Levels.Count);
        for (int level = 0; level < fast.Levels.Count; level++)
        {
            Assert.True(Direct(fast, level));
            Assert.True(Direct(openslideFast, level));
            var l = fast.Levels[level];
            for (long ly = 0; ly + 256 <= l.Height; ly += 256)
            for (long lx = 0; lx + 256 <= l.Width; lx += 256)
            {
                long x = (long)Math.Round(lx * l.Downsample), y = (long)Math.Round(ly * l.Downsample);
                var expected = vips.ReadRegion(level, x, y, 256, 256);
                AssertSamePixels(expected, fast.ReadRegion(level, x, y, 256, 256), $"level {level} tile ({lx}, {ly})");
                AssertSamePixels(expected, openslideFast.ReadRegion(level, x, y, 256, 256), $"level {level} tile ({lx}, {ly}) via OpenSlide");
                // OpenSlide's own decoder at level 0 (above it, its level-0 coordinates fall between level pixels).
                if (level == 0) AssertSamePixels(openslide.ReadRegion(0, x, y, 256, 256), expected, $"OpenSlide tile ({lx}, {ly})");
            }
            // The whole level in one read: whole tiles and the cut ones at its right and bottom edges.
            AssertSamePixels(vips.ReadRegion(level, 0, 0, (int)l.Width, (int)l.Height), fast.ReadRegion(level, 0, 0, (int)l.Width, (int)l.Height), $"level {level} whole");
        }
    }

    [Fact]
    public void ReadsThatAreNotWholeTiles_AndOtherCodecs_GoThroughTheBackend()
    {
        using var fast = Open(WsiFixtures.Cmu1, SlideBackend.Vips, direct: true);
        using var reference = Open(WsiFixtures.Cmu1, SlideBackend.Vips, direct: false);
        // 256 px on a 240 px grid, an unaligned tile, part of a tile: the backend's read, the same pixels.
        foreach (var (x, y, w, h) in new[] { (0L, 0L, 256, 256), (100L, 50L, 240, 240), (240L, 240L, 100, 100), (0L, 0L, 240, 480 + 1) })
            AssertSamePixels(reference.ReadRegion(0, x, y, w, h), fast.ReadRegion(0, x, y, w, h), $"({x}, {y}) {w}x{h}");

        var lzw = SyntheticSlide.Write(_dir); // LZW tiles: nothing to decode directly
        using var synthetic = Open(lzw, SlideBackend.Vips, direct: true);
        Assert.False(Direct(synthetic, 0));
        var tile = synthetic.ReadRegion(0, 512, 768, 256, 256);
        Assert.Equal(SyntheticSlide.Colour(512 / 192, 768 / 192), (tile.Pixels[0], tile.Pixels[1], tile.Pixels[2]));
        using var lzwOpenSlide = Open(lzw, SlideBackend.OpenSlide, direct: true);
        Assert.False(Direct(lzwOpenSlide, 0));
    }

    [Theory]
    [InlineData(SlideBackend.Auto)]
    [InlineData(SlideBackend.Vips)]
    public void CutTile_IsAnErrorNamingTheSlideAndTheTile(SlideBackend backend)
    {
        var path = WsiFixtures.DamagedCopy(_dir, "cut.svs", WsiFixtures.CutTile);
        using var slide = Open(path, backend, direct: true);
        Assert.True(Direct(slide, 0));
        var ex = Assert.Throws<UserInputException>(() => slide.ReadRegion(0, 240, 0, 240, 240));
        Assert.Contains(path, ex.Message);
        Assert.Contains("cannot read level 0 at (240, 0), 240x240 px: TIFF page 0, tile 1: its JPEG data", ex.Message);
        Assert.Contains("is cut short (no end-of-image marker)", ex.Message);
    }

    [Theory]
    [InlineData(SlideBackend.Auto)]
    [InlineData(SlideBackend.Vips)]
    public void CorruptTile_IsAnErrorNamingTheSlideAndTheTile_NotGreyBlocks(SlideBackend backend)
    {
        // The entropy-coded data of every tile overwritten with an invalid marker in its middle; the end-of-image
        // marker stays, so only the decoder can tell.
        var path = WsiFixtures.DamagedCopy(_dir, "corrupt.svs", (b, _, offset, count) =>
        {
            for (uint i = offset + count / 2; i < offset + count - 2; i += 2) { b[i] = 0xFF; b[i + 1] = 0x01; }
        });
        using var slide = Open(path, backend, direct: true);
        var ex = Assert.Throws<UserInputException>(() => slide.ReadRegion(0, 480, 240, 240, 240));
        Assert.Contains(path, ex.Message);
        Assert.Contains("TIFF page 0, tile 12: its JPEG data", ex.Message);
        Assert.Contains("is corrupt (libjpeg-turbo:", ex.Message);
    }

    [Fact]
    public void NotAJpegStream_IsAnError()
    {
        var path = WsiFixtures.DamagedCopy(_dir, "nosoi.svs", (b, _, offset, _) => { b[offset] = 0; b[offset + 1] = 0; });
        using var slide = Open(path, SlideBackend.Vips, direct: true);
        var ex = Assert.Throws<UserInputException>(() => slide.ReadRegion(0, 0, 0, 240, 240));
        Assert.Contains(path, ex.Message);
        Assert.Contains("TIFF page 0, tile 0", ex.Message);
        Assert.Contains("not a JPEG stream", ex.Message);
    }

    [Fact]
    public void TileQc_Vectorised_EqualsTheScalarDefinition()
    {
        using var slide = Open(GenericJpegTiff(), SlideBackend.Vips, direct: true);
        var options = new TileQcOptions();
        var tiles = new List<RgbImage>();
        for (long y = 0; y + 256 <= slide.Levels[0].Height; y += 256)
        for (long x = 0; x + 256 <= slide.Levels[0].Width; x += 256)
            tiles.Add(slide.ReadRegion(0, x, y, 256, 256));
        // Odd sizes exercise every remainder of the 16-pixel and 4-pixel loops.
        tiles.Add(slide.ReadRegion(0, 1000, 1000, 37, 29));
        tiles.Add(slide.ReadRegion(0, 10, 10, 6, 3));
        tiles.Add(slide.ReadRegion(0, 10, 10, 5, 5));
        var glass = new byte[64 * 64 * 3];
        Array.Fill(glass, (byte)240);
        tiles.Add(new RgbImage(64, 64, glass));
        Assert.Contains(tiles, t => TileQc.BackgroundFractionScalar(t, options) is > 0.1 and < 0.9);
        foreach (var o in new[] { options, options with { BackgroundMinBrightness = -1 }, options with { BackgroundMinBrightness = 255 },
                                  options with { BackgroundMinBrightness = 0, BackgroundMaxSaturation = 257 }, options with { BackgroundMaxSaturation = 400 } })
            foreach (var t in tiles)
                Assert.Equal(TileQc.BackgroundFractionScalar(t, o), TileQc.BackgroundFraction(t, o));
        foreach (var t in tiles)
        {
            double expected = TileQc.LaplacianVarianceScalar(t), actual = TileQc.LaplacianVariance(t);
            Assert.True(Math.Abs(actual - expected) <= 1e-10 * Math.Max(1, Math.Abs(expected)), $"{t.Width}x{t.Height}: {actual} vs {expected}");
        }
    }
}
