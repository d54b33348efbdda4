using HistoPrognosis.Data;
using HistoPrognosis.Imaging;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Tests.Data;

public sealed class SlideManifestTests
{
    private static readonly TilingOptions Options = new() { TargetMpp = 2.0, TileSize = 64, Qc = new TileQcOptions { BlurThreshold = 0 }, Workers = 1 };

    private static string Slide(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        File.Copy(TestPaths.Fixture("wsi", "CMU-1-Small-Region.svs"), path);
        return path;
    }

    [Fact]
    public void EverySlideIsTiledIntoItsPatientsPatches()
    {
        var dir = TestPaths.NewTempDirectory();
        Slide(dir, "a.svs");
        Directory.CreateDirectory(Path.Combine(dir, "more"));
        Slide(Path.Combine(dir, "more"), "b.svs");
        var manifest = Path.Combine(dir, "slides.csv");
        File.WriteAllLines(manifest, ["patient_id,slide_path,site", "P1,a.svs,x", "P2,more/b.svs,y"]);

        var work = Path.Combine(dir, "tiles");
        var table = SlideManifest.Tile(manifest, work, Options, PipelineLog.Silent);
        var expected = SlideTiler.TileSlide(Path.Combine(dir, "a.svs"), Path.Combine(dir, "direct"), Options).Tiles;
        Assert.True(expected > 5, $"only {expected} tiles");
        // The same slide copied twice: the same tiles for each patient, at the same level-0 coordinates.
        Assert.Equal(["P1", "P2"], table.PatientIds);
        var p1 = table.Patches.Where(p => p.PatientId == "P1").ToList();
        var p2 = table.Patches.Where(p => p.PatientId == "P2").ToList();
        Assert.Equal(expected, p1.Count);
        Assert.Equal(p1.Select(p => (p.X, p.Y)), p2.Select(p => (p.X, p.Y)));
        Assert.All(table.Patches, p => Assert.Null(p.Label));
        // Slide regions, read straight from the slides: no tile image is written.
        Assert.All(p1, p => Assert.Equal(Path.Combine(dir, "a.svs"), p.Region!.SlidePath));
        Assert.All(table.Patches, p => Assert.Equal(0, p.Region!.SlideIndex));
        Assert.Empty(Directory.GetFiles(work, "*.png", SearchOption.AllDirectories).Where(f => !f.EndsWith(".mask.png")));
        using (var reader = new PatchReader())
        {
            var tile = reader.Read(p1[0]);
            Assert.Equal((64, 64), (tile.Width, tile.Height));
            Assert.Equal(tile.Pixels, reader.Read(p2[0]).Pixels);
        }

        // A rerun with the same settings reuses the tiles and lists the same patches; the table reads back the same.
        var again = SlideManifest.Tile(manifest, work, Options, PipelineLog.Silent);
        Assert.Equal(table.Patches, again.Patches);
        Assert.Equal(table.Patches, PatchTable.Load(Path.Combine(work, "patches.csv"), requireLabel: false).Patches);
    }

    [Fact]
    public async Task ASlideClaimedByAnotherWorkerIsLeftToItAndReusedOnceFinished()
    {
        var dir = TestPaths.NewTempDirectory();
        Slide(dir, "a.svs");
        Slide(dir, "b.svs");
        var manifest = Path.Combine(dir, "slides.csv");
        File.WriteAllLines(manifest, ["patient_id,slide_path", "P1,a.svs", "P2,b.svs"]);
        var work = Path.Combine(dir, "tiles");
        // Another worker holds slide 1 and finishes it while this one tiles slide 2.
        var slideOne = Path.Combine(work, "0001-a");
        var other = HistoPrognosis.IO.WorkClaim.TryTake(slideOne)!;
        var run = Task.Run(() => SlideManifest.Tile(manifest, work, Options, PipelineLog.Silent));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Directory.EnumerateFiles(work, "*.h5", SearchOption.AllDirectories).Any() && DateTime.UtcNow < deadline) await Task.Delay(50);
        await Task.Delay(300);
        Assert.False(run.IsCompleted, "the claimed slide was not waited for");
        Assert.False(Directory.Exists(slideOne), "the claimed slide was tiled by both workers");
        var finishedThere = SlideTiler.TileSlide(Path.Combine(dir, "a.svs"), slideOne, Options);
        other.Dispose();
        var table = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(finishedThere.Tiles, table.Patches.Count(p => p.PatientId == "P1"));
        Assert.Equal(table.Patches.Count(p => p.PatientId == "P1"), table.Patches.Count(p => p.PatientId == "P2"));
        Assert.Empty(Directory.EnumerateFiles(work, "*.lock"));
    }

    [Fact]
    public void RegionsHaveExactlyThePixelsOfTheSavedTiles()
    {
        var dir = TestPaths.NewTempDirectory();
        Slide(dir, "a.svs");
        var manifest = Path.Combine(dir, "slides.csv");
        File.WriteAllLines(manifest, ["patient_id,slide_path", "P1,a.svs"]);
        var regions = SlideManifest.Tile(manifest, Path.Combine(dir, "regions"), Options, PipelineLog.Silent);
        var pngs = SlideManifest.Tile(manifest, Path.Combine(dir, "pngs"), Options with { SaveTiles = true }, PipelineLog.Silent);
        Assert.All(pngs.Patches, p => { Assert.Null(p.Region); Assert.EndsWith(".png", p.Path); });
        Assert.Equal(pngs.Patches.Select(p => (p.X, p.Y)), regions.Patches.Select(p => (p.X, p.Y)));
        Assert.True(regions.Patches.Count > 5, $"only {regions.Patches.Count} tiles");
        // 2 µm/px from 0.499: ~256 px read and area-resampled to 64, so resampling must match too.
        Assert.NotEqual(regions.Patches[0].Region!.TileSize, regions.Patches[0].Region!.ReadSize);
        using var reader = new PatchReader();
        for (int i = 0; i < regions.Patches.Count; i++)
            Assert.Equal(ImageCodec.Read(pngs.Patches[i].Path).Pixels, reader.Read(regions.Patches[i]).Pixels);
    }

    [Fact]
    public void APatientsSlidesAreUnitedAndTheMppColumnOverridesPerSlide()
    {
        var dir = TestPaths.NewTempDirectory();
        Slide(dir, "a.svs");
        Slide(dir, "b.svs");
        Slide(dir, "c.svs");
        var manifest = Path.Combine(dir, "slides.csv");
        // b.svs claims 0.998 µm/px (twice the file's): its tiles cover half the level-0 side, so more of them.
        File.WriteAllLines(manifest, ["patient_id,slide_path,mpp", "P1,a.svs,", "P2,c.svs,", "P1,b.svs,0.998"]);
        var table = SlideManifest.Tile(manifest, Path.Combine(dir, "tiles"), Options, PipelineLog.Silent);
        Assert.Equal(["P1", "P2"], table.PatientIds);
        var p1 = table.Patches.Where(p => p.PatientId == "P1").ToList();
        int fromA = SlideTiler.TileSlide(Path.Combine(dir, "a.svs"), Path.Combine(dir, "direct-a"), Options).Tiles;
        int fromB = SlideTiler.TileSlide(Path.Combine(dir, "b.svs"), Path.Combine(dir, "direct-b"), Options with { SlideMpp = 0.998 }).Tiles;
        Assert.True(fromB > fromA, $"{fromB} tiles at 0.998 µm/px, {fromA} at 0.499");
        Assert.Equal(fromA + fromB, p1.Count);
        Assert.Equal(Enumerable.Repeat(0, fromA).Concat(Enumerable.Repeat(1, fromB)), p1.Select(p => p.Region!.SlideIndex));
        Assert.All(p1.Take(fromA), p => Assert.Equal(Path.Combine(dir, "a.svs"), p.Region!.SlidePath));
        Assert.All(p1.Skip(fromA), p => Assert.Equal((0.998, Path.Combine(dir, "b.svs")), (p.Region!.SlideMpp!.Value, p.Region.SlidePath)));
        Assert.Equal(fromA, table.Patches.Count(p => p.PatientId == "P2" && p.Region!.SlideIndex == 0));
    }

    [Fact]
    public void BadSlideRegionRowsNameTheRowAndColumn()
    {
        var dir = TestPaths.NewTempDirectory();
        var slide = Slide(dir, "a.svs");
        string Error(string row)
        {
            var table = Path.Combine(dir, $"t{Guid.NewGuid():N}.csv");
            File.WriteAllLines(table, ["path,patient_id,slide_index,x,y,level,read_size,tile_size,slide_mpp", "a.svs,P1,0,0,0,0,64,64,", row]);
            return Assert.Throws<UserInputException>(() => PatchTable.Load(table, requireLabel: false)).Message;
        }
        Assert.Contains("row 3, column 'read_size'", Error("a.svs,P1,0,0,0,0,6.5,64,"));
        Assert.Contains("row 3, column 'level'", Error("a.svs,P1,0,0,0,-1,64,64,"));
        Assert.Contains("row 3, column 'slide_mpp'", Error("a.svs,P1,0,0,0,0,64,64,0"));
        Assert.Contains("row 3, column 'x'", Error("a.svs,P1,0,abc,0,0,64,64,"));
        // A region outside the slide is refused when read, naming the row.
        var outside = Path.Combine(dir, "outside.csv");
        File.WriteAllLines(outside, ["path,patient_id,x,y,level,read_size", "a.svs,P1,5000,0,0,64"]);
        var record = PatchTable.Load(outside, requireLabel: false).Patches.Single();
        Assert.Equal(slide, record.Region!.SlidePath);
        using var reader = new PatchReader();
        Assert.Contains("row 2", Assert.Throws<UserInputException>(() => reader.Read(record)).Message);
    }

    [Fact]
    public void BadManifestsNameTheRow()
    {
        var dir = TestPaths.NewTempDirectory();
        Slide(dir, "a.svs");
        Slide(dir, "a2.svs");
        File.Copy(TestPaths.Fixture("wsi", "tcga-cr-7395-01a-01-ts1.svs"), Path.Combine(dir, "nompp.svs"));
        string Error(params string[] lines)
        {
            var manifest = Path.Combine(dir, $"m{Guid.NewGuid():N}.csv");
            File.WriteAllLines(manifest, lines);
            return Assert.Throws<UserInputException>(() => SlideManifest.Tile(manifest, Path.Combine(dir, "work"), Options, PipelineLog.Silent)).Message;
        }
        Assert.Contains("slide_path", Error("patient_id,path", "P1,a.svs"));
        Assert.Contains("row 3, column 'slide_path'", Error("patient_id,slide_path", "P1,a.svs", "P2,missing.svs"));
        Assert.Contains("row 3: slide", Error("patient_id,slide_path", "P1,a.svs", "P2,./a.svs"));
        Assert.Contains("row 2, column 'patient_id'", Error("patient_id,slide_path", ",a.svs"));
        // A slide without a pixel size cannot be tiled at a target µm/px: the row and the slide are named.
        var message = Error("patient_id,slide_path", "P1,a.svs", "P2,nompp.svs");
        Assert.Contains("row 3", message);
        Assert.Contains("nompp.svs", message);
        // The mpp column: a non-numeric or non-positive value is refused with its row and column.
        Assert.Contains("row 3, column 'mpp'", Error("patient_id,slide_path,mpp", "P1,a.svs,", "P2,a2.svs,abc"));
        Assert.Contains("row 2, column 'mpp'", Error("patient_id,slide_path,mpp", "P1,a.svs,-0.5"));
        Assert.Contains("row 2, column 'mpp'", Error("patient_id,slide_path,mpp", "P1,a.svs,0"));
        Assert.False(File.Exists(Path.Combine(dir, "work", "patches.csv")));
    }
}
