using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;
using NetVips;

namespace HistoPrognosis.Tests.Slides;

/// <summary>DICOM series written in the test with known geometry and content: levels, spacing, tiling orders, fragments.</summary>
public class DicomSyntheticTests
{
    private const string Series = "1.2.826.0.1.99.1";
    private const string ExplicitLE = "1.2.840.10008.1.2.1";
    private const string JpegBaseline = "1.2.840.10008.1.2.4.50";

    // Level-0 content: a pattern where every pixel differs from its neighbours.
    private static (byte, byte, byte) Level0(long x, long y) => ((byte)(x * 2), (byte)(y * 3), (byte)((x + y) % 256));
    private static (byte, byte, byte) Level1(long x, long y) => ((byte)(x * 4), (byte)(y * 6), 77);

    private static DicomWriter Base(long width, long height, int tile, int frames, string series = Series, string imageType = "ORIGINAL\\PRIMARY\\VOLUME\\NONE") =>
        new DicomWriter()
            .Str(0x00080008, "CS", imageType)
            .Str(0x00080016, "UI", DicomSopClass.WholeSlide)
            .Str(0x00080070, "LO", "TestScanner")
            .Str(0x0020000E, "UI", series)
            .US(0x00280002, 3)
            .Str(0x00280004, "CS", "RGB")
            .Str(0x00280008, "IS", frames.ToString())
            .US(0x00280010, (ushort)tile)
            .US(0x00280011, (ushort)tile)
            .US(0x00280100, 8)
            .UL(0x00480006, (uint)width)
            .UL(0x00480007, (uint)height)
            .Sequence(0x52009229, new DicomWriter().Sequence(0x00289110, new DicomWriter().Str(0x00280030, "DS", "0.00025\\0.0005")));

    private static byte[][] Frames(long width, long height, int tile, Func<long, long, (byte, byte, byte)> pixel)
    {
        int across = (int)((width + tile - 1) / tile), down = (int)((height + tile - 1) / tile);
        var frames = new byte[across * down][];
        for (int ty = 0; ty < down; ty++)
        for (int tx = 0; tx < across; tx++)
        {
            var f = new byte[tile * tile * 3];
            for (int y = 0; y < tile; y++)
            for (int x = 0; x < tile; x++)
            {
                long gx = tx * tile + x, gy = ty * tile + y;
                if (gx >= width || gy >= height) continue; // padding stays 0
                var (r, g, b) = pixel(gx, gy);
                int o = (y * tile + x) * 3;
                f[o] = r; f[o + 1] = g; f[o + 2] = b;
            }
            frames[ty * across + tx] = f;
        }
        return frames;
    }

    private static string WriteSeries()
    {
        var dir = WsiFixtures.TempDir("dcm");
        Base(100, 70, 32, 12).NativePixels(Frames(100, 70, 32, Level0).SelectMany(f => f).ToArray()).Save(Path.Combine(dir, "level0.dcm"), ExplicitLE);
        Base(50, 35, 32, 4).NativePixels(Frames(50, 35, 32, Level1).SelectMany(f => f).ToArray()).Save(Path.Combine(dir, "level1.dcm"), ExplicitLE);
        // Not levels: a label of the same series, and an instance of another series.
        Base(20, 20, 20, 1, imageType: "ORIGINAL\\PRIMARY\\LABEL\\NONE").NativePixels(new byte[20 * 20 * 3]).Save(Path.Combine(dir, "label.dcm"), ExplicitLE);
        Base(80, 80, 40, 4, series: "1.2.826.0.1.99.2").NativePixels(new byte[4 * 40 * 40 * 3]).Save(Path.Combine(dir, "other.dcm"), ExplicitLE);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not DICOM");
        return dir;
    }

    [Fact]
    public void SeriesInstances_BecomeLevels_WithPixelSpacingAndExactPixels()
    {
        var dir = WriteSeries();
        try
        {
            // Opened from the smaller instance: the series' larger instance still becomes level 0.
            using var slide = (DicomWsiSlide)SlideFactory.Open(Path.Combine(dir, "level1.dcm"));
            Assert.Equal(2, slide.Levels.Count);
            Assert.Equal(new SlideLevel(100, 70, 1.0), slide.Levels[0]);
            Assert.Equal(new SlideLevel(50, 35, 2.0), slide.Levels[1]);
            Assert.EndsWith("level0.dcm", slide.InstancePaths[0]);
            // PixelSpacing "0.00025\0.0005" mm is row spacing (y) then column spacing (x).
            Assert.Equal(0.5, slide.MppX!.Value, 9);
            Assert.Equal(0.25, slide.MppY!.Value, 9);
            Assert.Equal("TestScanner", slide.Vendor);

            var region = slide.ReadRegion(0, 25, 20, 60, 50); // spans 3 x 2 tiles, up to the bottom edge
            for (int y = 0; y < 50; y++)
            for (int x = 0; x < 60; x++)
                Assert.Equal(Level0(25 + x, 20 + y), Pixel(region, x, y));
            var coarse = slide.ReadRegion(1, 40, 20, 10, 25); // level-0 corner (40, 20) = level-1 pixel (20, 10)
            for (int y = 0; y < 25; y++)
            for (int x = 0; x < 10; x++)
                Assert.Equal(Level1(20 + x, 10 + y), Pixel(coarse, x, y));
            Assert.Throws<UserInputException>(() => slide.ReadRegion(0, 50, 0, 51, 10));

            using var fromFolder = SlideFactory.Open(Path.Combine(dir, "level0.dcm"));
            Assert.Equal(slide.Levels, fromFolder.Levels);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ObjectsOfOtherSopClasses_AreNeverLevels_AndAFolderOfOnlyThemIsRefused()
    {
        var dir = WsiFixtures.TempDir("dcmsop");
        try
        {
            // A CT in the slide's own series, larger than its level 0: accepted, it would have become level 0.
            const string ct = "1.2.840.10008.5.1.4.1.1.2";
            var ctPath = Path.Combine(dir, "a-ct.dcm");
            DicomWriter.SingleImage(ct, 200).Str(0x0020000E, "UI", Series).Save(ctPath, ExplicitLE, ct);
            Base(100, 70, 32, 12).NativePixels(new byte[12 * 32 * 32 * 3]).Save(Path.Combine(dir, "level0.dcm"), ExplicitLE);
            foreach (var opened in new[] { Path.Combine(dir, "level0.dcm"), dir })
            {
                using var slide = (DicomWsiSlide)SlideFactory.Open(opened);
                Assert.Equal(new SlideLevel(100, 70, 1.0), slide.Levels.Single());
                Assert.DoesNotContain(ctPath, slide.InstancePaths);
            }

            File.Delete(Path.Combine(dir, "level0.dcm"));
            var ex = Assert.Throws<UserInputException>(() => SlideFactory.Open(dir));
            Assert.Contains(dir, ex.Message);
            Assert.Contains(ctPath, ex.Message);
            Assert.Contains("CT Image Storage", ex.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData(0xFFFFFFFFL, 0xFFFFFFFFL)] // the tile count overflows even a long
    [InlineData(200_000L, 200_000L)]
    public void AnImplausiblePixelMatrix_IsRefusedBeforeItsTileTableIsAllocated(long width, long height)
    {
        var dir = WsiFixtures.TempDir("dcmhuge");
        try
        {
            var path = Path.Combine(dir, "huge.dcm");
            Base(width, height, 1, 1).Str(0x00209311, "CS", "TILED_SPARSE").NativePixels(new byte[3]).Save(path, ExplicitLE);
            var ex = Assert.Throws<UserInputException>(() => SlideFactory.Open(path));
            Assert.Contains(path, ex.Message);
            Assert.Contains("tiles, more than the", ex.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void EncapsulatedJpeg_WithSplitFragmentsAndOffsetTable_MatchesDecodedFrames()
    {
        var dir = WsiFixtures.TempDir("dcmjpeg");
        try
        {
            var raw = Frames(90, 60, 48, Level0);
            var jpegs = raw.Select(f =>
            {
                using var im = Image.NewFromMemory(f, 48, 48, 3, Enums.BandFormat.Uchar);
                return im.JpegsaveBuffer(q: 90);
            }).ToArray();
            var path = Path.Combine(dir, "jpeg.dcm");
            Base(90, 60, 48, 4).EncapsulatedPixels(jpegs, splitFragments: true).Save(path, JpegBaseline);
            using var slide = SlideFactory.Open(path);
            var decoded = jpegs.Select(j => ImageCodec.Decode(j, "frame")).ToArray();
            var region = slide.ReadRegion(0, 10, 5, 80, 55);
            for (int y = 0; y < 55; y++)
            for (int x = 0; x < 80; x++)
            {
                int gx = 10 + x, gy = 5 + y;
                var f = decoded[(gy / 48) * 2 + gx / 48];
                Assert.Equal(Pixel(f, gx % 48, gy % 48), Pixel(region, x, y));
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TiledSparse_PlacesFramesByPosition_AndPaintsMissingTilesWhite()
    {
        var dir = WsiFixtures.TempDir("dcmsparse");
        try
        {
            var raw = Frames(64, 64, 32, Level0); // tiles: 0 (0,0), 1 (32,0), 2 (0,32), 3 (32,32)
            // Stored out of order, tile (32,0) absent.
            var order = new[] { 3, 0, 2 };
            var perFrame = order.Select(t => new DicomWriter().Sequence(0x0048021A,
                new DicomWriter().SL(0x0048021E, t % 2 * 32 + 1).SL(0x0048021F, t / 2 * 32 + 1))).ToArray();
            var path = Path.Combine(dir, "sparse.dcm");
            Base(64, 64, 32, 3)
                .Str(0x00209311, "CS", "TILED_SPARSE")
                .Sequence(0x52009230, perFrame)
                .NativePixels(order.SelectMany(t => raw[t]).ToArray())
                .Save(path, ExplicitLE);
            using var slide = SlideFactory.Open(path);
            var all = slide.ReadRegion(0, 0, 0, 64, 64);
            for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
                Assert.Equal(x >= 32 && y < 32 ? ((byte)255, (byte)255, (byte)255) : Level0(x, y), Pixel(all, x, y));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MissingRequiredTag_IsNamed()
    {
        var dir = WsiFixtures.TempDir("dcmbad");
        try
        {
            var path = Path.Combine(dir, "bad.dcm");
            Base(100, 70, 32, 12).Remove(0x00480006).NativePixels(new byte[12 * 32 * 32 * 3]).Save(path, ExplicitLE);
            var ex = Assert.Throws<UserInputException>(() => SlideFactory.Open(path));
            Assert.Contains(path, ex.Message);
            Assert.Contains("TotalPixelMatrixColumns", ex.Message);

            var noRows = Path.Combine(dir, "norows.dcm");
            Base(100, 70, 32, 12).Remove(0x00280010).NativePixels(new byte[12 * 32 * 32 * 3]).Save(noRows, ExplicitLE);
            Assert.Contains("Rows (0028,0010)", Assert.Throws<UserInputException>(() => SlideFactory.Open(noRows)).Message);

            var fewFrames = Path.Combine(dir, "fewframes.dcm");
            Base(100, 70, 32, 12).NativePixels(new byte[5 * 32 * 32 * 3]).Save(fewFrames, ExplicitLE);
            Assert.Contains("frame", Assert.Throws<UserInputException>(() => SlideFactory.Open(fewFrames)).Message);

            var jp2k = Path.Combine(dir, "jp2k.dcm");
            Base(64, 64, 32, 4).EncapsulatedPixels([new byte[10], new byte[10], new byte[10], new byte[10]]).Save(jp2k, "1.2.840.10008.1.2.4.90");
            Assert.Contains("JPEG 2000", Assert.Throws<UserInputException>(() => SlideFactory.Open(jp2k)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static (byte, byte, byte) Pixel(RgbImage im, int x, int y)
    {
        int o = im.Offset(x, y);
        return (im.Pixels[o], im.Pixels[o + 1], im.Pixels[o + 2]);
    }
}
