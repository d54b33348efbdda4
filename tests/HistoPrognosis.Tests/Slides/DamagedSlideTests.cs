using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;
using HistoPrognosis.Tests.Imaging;
using HistoPrognosis.Tiling;
using NetVips;

namespace HistoPrognosis.Tests.Slides;

/// <summary>
/// Real slides copied and damaged — tile offsets past the end of the file, JPEG tiles cut short or zero-filled, DICOM
/// frames zero-filled — and cut or oversized plain images: whichever backend reads them, a
/// <see cref="UserInputException"/> naming the file, never a crash or blank pixels; tiling them leaves nothing behind.
/// </summary>
public sealed class DamagedSlideTests : IDisposable
{
    private readonly string _dir = WsiFixtures.TempDir("damaged");

    public void Dispose() => Directory.Delete(_dir, true);

    private static UserInputException ReadFails(string path, SlideBackend backend = SlideBackend.Auto)
    {
        var ex = Assert.Throws<UserInputException>(() =>
        {
            using var slide = SlideFactory.Open(path, new SlideOpenOptions { Backend = backend });
            slide.ReadRegion(0, 0, 0, 256, 256);
        });
        Assert.Contains(path, ex.Message);
        return ex;
    }

    [Theory]
    [InlineData(SlideBackend.Auto)] // OpenSlide, the reader of an Aperio file
    [InlineData(SlideBackend.Vips)]
    public void TileOffsetsPastTheEndOfTheFile(SlideBackend backend)
    {
        long length = new FileInfo(WsiFixtures.Cmu1).Length;
        var path = WsiFixtures.DamagedCopy(_dir, "offsets.svs", (b, i, _, _) => TiffBytes.SetLong(b, TiffBytes.TileOffsets, i, (uint)(length + 1000 + i)));
        var ex = ReadFails(path, backend);
        if (backend == SlideBackend.Vips) Assert.Contains("tile 0: its data (3684 bytes at offset", ex.Message);
    }

    [Theory]
    [InlineData(SlideBackend.Auto)]
    [InlineData(SlideBackend.Vips)]
    public void JpegTilesCutShort(SlideBackend backend)
    {
        var path = WsiFixtures.DamagedCopy(_dir, "cut.svs", WsiFixtures.CutTile);
        var ex = ReadFails(path, backend);
        Assert.Contains("cannot read level 0 at (0, 0)", ex.Message);
        if (backend == SlideBackend.Vips) Assert.Contains("tile 0: its JPEG data (1228 bytes at offset 16) is cut short", ex.Message);
    }

    [Theory]
    [InlineData(SlideBackend.Auto)]
    [InlineData(SlideBackend.Vips)]
    public void JpegTilesWhoseSecondHalfIsZeros(SlideBackend backend)
    {
        var path = WsiFixtures.DamagedCopy(_dir, "zeros.svs", (b, _, offset, count) => Array.Clear(b, (int)(offset + count / 2), (int)(count - count / 2)));
        Assert.Contains("cannot read level 0", ReadFails(path, backend).Message);
    }

    [Fact]
    public void DicomFramesWhoseSecondHalfIsZeros()
    {
        var bytes = File.ReadAllBytes(WsiFixtures.Dicom);
        foreach (var frame in DicomFile.Read(WsiFixtures.Dicom).EncapsulatedFrames!)
            foreach (var (offset, length) in frame) Array.Clear(bytes, (int)offset + length / 2, length - length / 2);
        var path = Path.Combine(_dir, "zeros.dcm");
        File.WriteAllBytes(path, bytes);
        var ex = ReadFails(path);
        Assert.Contains("frame 1: truncated or corrupt pixel data", ex.Message);
        Assert.Contains("premature end of JPEG", ex.Message); // libvips' cause, not only its "unable to write to memory"
    }

    [Fact]
    public void PlainImages_ReadByRegion_CutOnesFail_OversizedOnesAreRefusedFromTheirHeader()
    {
        RgbImage source;
        using (var slide = SlideFactory.Open(WsiFixtures.Cmu1)) source = slide.ReadRegion(0, 1000, 1000, 300, 200);
        var png = Path.Combine(_dir, "region.png");
        ImageCodec.WritePng(source, png);
        using (var slide = SlideFactory.Open(png))
        {
            Assert.IsType<ImageSlide>(slide);
            Assert.Equal("png", slide.Vendor);
            var part = slide.ReadRegion(0, 50, 40, 100, 60);
            for (int y = 0; y < 60; y++)
                Assert.Equal(source.Pixels.AsSpan(source.Offset(50, 40 + y), 300), part.Pixels.AsSpan(part.Offset(0, y), 300));
        }

        var bytes = File.ReadAllBytes(png);
        var cut = Path.Combine(_dir, "cut.png");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        ReadFails(cut);

        // 30,000² claimed by the header: refused before a pixel is decoded, with the way out.
        var bomb = Path.Combine(_dir, "huge.png");
        File.WriteAllBytes(bomb, ImageCodecTests.PngClaiming(30_000, 30_000));
        var ex = ReadFails(bomb);
        Assert.Contains("30000 × 30000", ex.Message);
        Assert.Contains("tiled pyramidal TIFF", ex.Message);
    }

    [Fact]
    public void Tiling_ABatchWithADamagedSlide_KeepsTheGoodOne_AndLeavesNothingOfTheBadOne()
    {
        // A libvips pyramid of CMU-1 with level-0 tiles cut in its middle: the overview (from a coarser level) reads
        // fine, so the damage is met by the parallel tile readers.
        var good = Path.Combine(_dir, "pyramid.tif");
        using (var image = Image.NewFromFile(WsiFixtures.Cmu1))
            image.Tiffsave(good, tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: Enums.ForeignTiffCompression.Jpeg);
        int tiles = TiffDirectory.Read(good)[0].DataOffsets.Length;
        var bad = WsiFixtures.DamagedCopy(_dir, "pyramid-cut.tif", (b, i, o, c) => { if (i == tiles / 2) WsiFixtures.CutTile(b, i, o, c); }, good);
        // libvips keeps the Aperio description, so OpenSlide would claim the copies: read them through libvips.
        var options = new TilingOptions { TargetMpp = 0.5, TileSize = 256, SlideMpp = 0.5, MinTissueFraction = 0, Workers = 2, Backend = SlideBackend.Vips };

        var outDir = Path.Combine(_dir, "out");
        var results = SlideTiler.RunBatch([good, bad], outDir, options);
        Assert.Null(results[0].Error);
        Assert.Contains(bad, results[1].Error);
        Assert.Contains("256x256 px", results[1].Error); // met while reading tiles, not the overview
        Assert.Contains($"tile {tiles / 2}: its JPEG data", results[1].Error);
        Assert.Equal(["pyramid.h5", "pyramid.mask.png", "pyramid.tissue.geojson"],
            Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // Alone, into a folder that did not exist: no folder either.
        var fresh = Path.Combine(_dir, "fresh");
        Assert.NotNull(SlideTiler.RunBatch([bad], fresh, options with { SaveTiles = true }).Single().Error);
        Assert.False(Directory.Exists(fresh));
    }
}
