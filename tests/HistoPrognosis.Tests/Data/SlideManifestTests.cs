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
        var tile = ImageCodec.Read(p1[0].Path);
        Assert.Equal((64, 64), (tile.Width, tile.Height));
        Assert.Equal(tile.Pixels, ImageCodec.Read(p2[0].Path).Pixels);

        // A rerun with the same settings reuses the tiles and lists the same patches.
        var again = SlideManifest.Tile(manifest, work, Options, PipelineLog.Silent);
        Assert.Equal(table.Patches.Select(p => p.Path), again.Patches.Select(p => p.Path));
    }

    [Fact]
    public void BadManifestsNameTheRow()
    {
        var dir = TestPaths.NewTempDirectory();
        Slide(dir, "a.svs");
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
        Assert.False(File.Exists(Path.Combine(dir, "work", "patches.csv")));
    }
}
