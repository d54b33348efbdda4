using HistoPrognosis.Imaging;
using HistoPrognosis.IO;
using HistoPrognosis.Slides;
using HistoPrognosis.Tests.Slides;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Tests.Tiling;

/// <summary>Level choice, resampling, coordinates, QC and the coordinates file on a synthetic slide of known content.</summary>
public sealed class TilingTests(TilingTests.SlideFixture fixture) : IClassFixture<TilingTests.SlideFixture>, IDisposable
{
    /// <summary>The synthetic slide, written once for the class.</summary>
    public sealed class SlideFixture : IDisposable
    {
        public string Dir { get; } = WsiFixtures.TempDir("synthetic");
        public string Slide { get; }
        public SlideFixture() => Slide = SyntheticSlide.Write(Dir);
        public void Dispose() => Directory.Delete(Dir, true);
    }

    private readonly string _dir = WsiFixtures.TempDir("tiling");
    private readonly string _slide = fixture.Slide;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void SyntheticPyramid_SameThroughVipsAndOpenSlide()
    {
        Assert.Equal(SlideBackend.Vips, SlideFactory.Detect(_slide));
        using var vips = SlideFactory.Open(_slide);
        using var os = SlideFactory.Open(_slide, new SlideOpenOptions { Backend = SlideBackend.OpenSlide });
        Assert.Equal("generic-tiff", vips.Vendor);
        Assert.Equal("generic-tiff", os.Vendor);
        Assert.Equal(new SlideLevel(3072, 2304, 1), vips.Levels[0]);
        Assert.Equal(new SlideLevel(1536, 1152, 2), vips.Levels[1]);
        Assert.Equal(new SlideLevel(768, 576, 4), vips.Levels[2]);
        Assert.Equal(os.Levels, vips.Levels);
        Assert.Equal(SyntheticSlide.Mpp, vips.MppX!.Value, 9);
        Assert.Equal(SyntheticSlide.Mpp, vips.MppY!.Value, 9);
        Assert.Null(os.MppX); // OpenSlide 3.4 does not read TIFF resolution tags for generic TIFF
        for (int level = 0; level < 3; level++)
        {
            var a = vips.ReadRegion(level, 300, 500, 200, 150);
            var b = os.ReadRegion(level, 300, 500, 200, 150);
            Assert.Equal(a.Pixels, b.Pixels);
        }
        // Known content at level 2: level-0 (400, 600) is block (2, 3), a tissue block.
        var px = vips.ReadRegion(2, 400, 600, 1, 1).Pixels;
        Assert.Equal(SyntheticSlide.Colour(2, 3), (px[0], px[1], px[2]));
    }

    [Theory]
    [InlineData(0.5, 256, 1, 256)]   // exactly level 1
    [InlineData(0.75, 32, 1, 48)]    // between levels 1 and 2: read 48 px at level 1, resample to 32
    [InlineData(1.0, 64, 2, 64)]     // exactly level 2
    [InlineData(0.252, 256, 0, 256)] // within the 2 % tolerance of level 0: read as is
    [InlineData(0.26, 256, 0, 266)]  // 4 % coarser than level 0: resample 266 → 256
    [InlineData(8.0, 16, 4, 32)]     // beyond... level 4 (ds 16), factor 2
    public void Plan_ChoosesCoarsestLevelNotCoarserThanTarget(double mpp, int size, int level, int readSize)
    {
        using var slide = SlideFactory.Open(_slide);
        var grid = TileGrid.Plan(slide, mpp, size);
        Assert.Equal(level, grid.Level);
        Assert.Equal(readSize, grid.ReadSize);
        Assert.Equal(mpp, grid.EffectiveMpp, 0.02 * mpp);
    }

    [Fact]
    public void Plan_RefusesUpsamplingAndMissingMpp()
    {
        using var slide = SlideFactory.Open(_slide);
        Assert.Contains("finer", Assert.Throws<UserInputException>(() => TileGrid.Plan(slide, 0.2, 256)).Message);
        var noMpp = SyntheticSlide.Write(_dir, withResolution: false);
        using var bare = SlideFactory.Open(noMpp);
        Assert.Null(bare.MppX); // vips writes 1 px/mm (1000 µm/px) when no resolution is set: implausible, so ignored
        var ex = Assert.Throws<UserInputException>(() => TileGrid.Plan(bare, 0.5, 256));
        Assert.Contains(noMpp, ex.Message);
        Assert.Contains("µm/px", ex.Message);
        Assert.Contains("--slide-mpp", ex.Message);
    }

    [Fact]
    public void Plan_OverlapSetsTheStride()
    {
        using var slide = SlideFactory.Open(_slide);
        var grid = TileGrid.Plan(slide, 0.5, 64, overlap: 16);
        Assert.Equal(1, grid.Level);
        Assert.Equal(48, grid.StrideInLevel);
        Assert.Equal((96L, 0L), grid.Position(1, 0));
        Assert.Equal((192L, 96L), grid.Position(2, 1));
        Assert.Equal((1536 - 64) / 48 + 1, grid.Columns);
        Assert.Equal((1152 - 64) / 48 + 1, grid.Rows);
    }

    [Fact]
    public void TileSlide_KeepsExactlyTheTissueTiles_WithExactContentAndCoordinates()
    {
        var outDir = Path.Combine(_dir, "out");
        var options = new TilingOptions { TargetMpp = 0.75, TileSize = 32, Qc = new TileQcOptions { BlurThreshold = 0 }, SaveTiles = true };
        var result = SlideTiler.RunBatch([_slide], outDir, options).Single();
        Assert.Null(result.Error);

        // Tiles are 48 px at level 1 = 96 px at level 0; tissue spans level-0 x in [384, 1920), y in [576, 1728).
        var expected = new List<(long, long)>();
        for (long y = 576; y + 96 <= 1728; y += 96)
        for (long x = 384; x + 96 <= 1920; x += 96)
            expected.Add((x, y));
        Assert.Equal(expected.Count, result.Tiles);
        Assert.Equal(32 * 24 - expected.Count, result.Dropped[DropReason.LowTissue]);
        Assert.Equal(0, result.Dropped[DropReason.Background]);
        Assert.Equal(1, result.Level);

        var h5 = CoordinatesFile.Read(result.H5!);
        Assert.Equal(48, h5.PatchSize);
        Assert.Equal(1, h5.PatchLevel);
        Assert.Equal(0.75, (double)h5.Attributes["target_mpp"]);
        Assert.Equal(32L, h5.Attributes["tile_size"]);
        var coords = Enumerable.Range(0, h5.Count).Select(i => (h5.Coords[i, 0], h5.Coords[i, 1])).ToList();
        Assert.Equal(expected, coords);

        // Every saved tile is its block's colour exactly (a 96 px tile never straddles two 192 px blocks).
        foreach (var (x, y) in expected)
        {
            var tile = ImageCodec.Read(Path.Combine(outDir, "synthetic_tiles", $"{x}_{y}.png"));
            Assert.Equal((32, 32), (tile.Width, tile.Height));
            var (r, g, b) = SyntheticSlide.Colour(x / 192, y / 192);
            for (int i = 0; i < tile.Pixels.Length; i += 3)
                Assert.Equal((r, g, b), (tile.Pixels[i], tile.Pixels[i + 1], tile.Pixels[i + 2]));
        }
        Assert.Equal(expected.Count, Directory.GetFiles(Path.Combine(outDir, "synthetic_tiles")).Length);

        // The same coordinates read the same pixels through the CLAM convention: read_region(coord, patch_level, patch_size).
        using var slide = SlideFactory.Open(_slide);
        var region = slide.ReadRegion((int)h5.PatchLevel, coords[5].Item1, coords[5].Item2, 48, 48);
        Assert.Equal(SyntheticSlide.Colour(coords[5].Item1 / 192, coords[5].Item2 / 192), (region.Pixels[0], region.Pixels[1], region.Pixels[2]));

        // The mask and GeoJSON were written; the GeoJSON polygon is the tissue rectangle in level-0 pixels.
        Assert.True(File.Exists(result.MaskPng));
        var geo = System.Text.Json.JsonDocument.Parse(File.ReadAllText(result.GeoJson!));
        var ring = geo.RootElement.GetProperty("features")[0].GetProperty("geometry").GetProperty("coordinates")[0];
        var xs = ring.EnumerateArray().Select(p => p[0].GetDouble()).ToArray();
        var ys = ring.EnumerateArray().Select(p => p[1].GetDouble()).ToArray();
        Assert.InRange(xs.Min(), 384 - 12, 384 + 12);
        Assert.InRange(xs.Max(), 1920 - 12, 1920 + 12);
        Assert.InRange(ys.Min(), 576 - 12, 576 + 12);
        Assert.InRange(ys.Max(), 1728 - 12, 1728 + 12);
    }

    [Fact]
    public void TileSlide_UniformTissueIsDroppedAsBlur()
    {
        // 48 px at 0.5 µm/px = 96 level-0 px: every tile lies inside one flat block, so none has any texture.
        var result = SlideTiler.TileSlide(_slide, Path.Combine(_dir, "blur"), new TilingOptions { TargetMpp = 0.5, TileSize = 48 });
        Assert.Equal(0, result.Tiles);
        Assert.Equal(16 * 12, result.Dropped[DropReason.Blur]);
        Assert.Equal(0, CoordinatesFile.Read(result.H5!).Count);
    }

    [Fact]
    public void Batch_Resumes_AndRedoesWhenSettingsChange_AndLeavesNoTemporaries()
    {
        var outDir = Path.Combine(_dir, "resume");
        Directory.CreateDirectory(outDir);
        var stale = FileNames.Temporary(Path.Combine(outDir, "synthetic.h5")); // as an interrupted run leaves it
        File.WriteAllText(stale, "half-written");
        var options = new TilingOptions { TargetMpp = 1.0, TileSize = 32, Qc = new TileQcOptions { BlurThreshold = 0 } };
        var first = SlideTiler.RunBatch([_slide], outDir, options).Single();
        Assert.False(first.Resumed);
        Assert.False(File.Exists(stale));
        var written = File.GetLastWriteTimeUtc(first.H5!);

        var second = SlideTiler.RunBatch([_slide], outDir, options).Single();
        Assert.True(second.Resumed);
        Assert.Equal(first.Tiles, second.Tiles);
        Assert.Equal(first.Dropped, second.Dropped);
        Assert.Equal(written, File.GetLastWriteTimeUtc(second.H5!));

        var changed = SlideTiler.RunBatch([_slide], outDir, options with { MinTissueFraction = 0.9 }).Single();
        Assert.False(changed.Resumed);
        Assert.Equal(0.9, (double)CoordinatesFile.Read(changed.H5!).Attributes["min_tissue_fraction"]);
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp*"));
    }

    [Fact]
    public void Batch_BadSlide_IsReportedWithoutStoppingTheOthers()
    {
        var outDir = Path.Combine(_dir, "batch");
        var empty = Path.Combine(_dir, "empty.svs");
        File.WriteAllBytes(empty, []);
        var results = SlideTiler.RunBatch([empty, _slide], outDir, new TilingOptions { TargetMpp = 1.0, TileSize = 32, Qc = new TileQcOptions { BlurThreshold = 0 } });
        Assert.Contains(empty, results[0].Error);
        Assert.Null(results[1].Error);
        Assert.False(File.Exists(Path.Combine(outDir, "empty.h5")));
    }

    [Fact]
    public void Resampler_AveragesExactAreas()
    {
        // 3 x 1 → 2 x 1: output 0 = (a + b/2) / 1.5, output 1 = (b/2 + c) / 1.5.
        var src = new RgbImage(3, 1, [30, 0, 0, 60, 0, 0, 90, 0, 0]);
        var dst = Resampler.Area(src, 2, 1);
        Assert.Equal(40, dst.Pixels[0]);
        Assert.Equal(80, dst.Pixels[3]);
        var twice = Resampler.Area(new RgbImage(2, 2, [0, 0, 0, 100, 100, 100, 50, 50, 50, 250, 250, 250]), 1, 1);
        Assert.Equal(100, twice.Pixels[0]);
    }
}
