using System.Text.Json;

namespace HistoPrognosis.Tests.Slides;

/// <summary>The CLI end to end, as a separate process: JSON names, exit codes and error messages.</summary>
public class SlideCliTests
{
    private static ProcessResult Run(params string[] args) => HistoprogProcess.Run(args);

    [Fact]
    public void SlideInfo_Json_HasTheStableNames()
    {
        var (code, stdout, stderr) = Run("slide", "info", WsiFixtures.TcgaJp2k, "--json");
        Assert.True(code == 0, stderr);
        var j = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("openslide", j.GetProperty("backend").GetString());
        Assert.Equal("aperio", j.GetProperty("vendor").GetString());
        Assert.Equal(4443, j.GetProperty("width").GetInt64());
        Assert.Equal(3567, j.GetProperty("height").GetInt64());
        var levels = j.GetProperty("levels");
        Assert.Equal(2, levels.GetArrayLength());
        Assert.Equal(2221, levels[1].GetProperty("width").GetInt64());
        Assert.Equal(1783, levels[1].GetProperty("height").GetInt64());
        Assert.Equal(2.0, levels[1].GetProperty("downsample").GetDouble(), 2);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("mpp_x").ValueKind);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("mpp_y").ValueKind);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("objective_power").ValueKind);
    }

    [Fact]
    public void Tile_NonSlideAndDamagedSlides_ExitTwo_NamingEach_AndLeaveNoOutputFolder()
    {
        var dir = WsiFixtures.TempDir("clibad");
        try
        {
            const string ct = "1.2.840.10008.5.1.4.1.1.2";
            var ctPath = Path.Combine(dir, "scan.dcm");
            DicomWriter.SingleImage(ct).Save(ctPath, "1.2.840.10008.1.2.1", ct);
            var cut = WsiFixtures.DamagedCopy(dir, "cut.svs", WsiFixtures.CutTile);
            var outDir = Path.Combine(dir, "out");

            var (code, _, stderr) = Run("tile", ctPath, cut, "--out", outDir, "--mpp", "0.5", "--tile-size", "256", "--slide-mpp", "0.5");
            Assert.Equal(2, code);
            Assert.Contains($"{ctPath}: SOP class {ct} (CT Image Storage) is not a whole-slide image", stderr);
            Assert.Contains($"{cut}: cannot read level 0", stderr);
            Assert.DoesNotContain("   at ", stderr);
            Assert.False(Directory.Exists(outDir), "an output folder was left behind");

            (code, _, stderr) = Run("slide", "info", ctPath);
            Assert.Equal(2, code);
            Assert.Contains("CT Image Storage", stderr);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Tile_SlideNamesAtTheLimit_WriteOutputsThatFit_AndNoTemporaries()
    {
        var dir = WsiFixtures.TempDir("clilong");
        try
        {
            // 244 and 255 bytes: the second's stem must be shortened for STEM.tissue.geojson to fit.
            var slides = new[] { new string('a', 240) + ".svs", new string('b', 251) + ".svs" }.Select(n => Path.Combine(dir, n)).ToArray();
            foreach (var s in slides) File.Copy(WsiFixtures.Cmu1, s);
            var outDir = Path.Combine(dir, "out");
            var (code, stdout, stderr) = Run(["tile", .. slides, "--out", outDir, "--mpp", "0.5", "--tile-size", "256", "--save-tiles", "--json"]);
            Assert.True(code == 0, stderr);
            foreach (var slide in JsonDocument.Parse(stdout).RootElement.GetProperty("slides").EnumerateArray())
                foreach (var output in new[] { "h5", "mask_png", "geojson" })
                    Assert.True(File.Exists(slide.GetProperty(output).GetString()), $"{output} of {slide.GetProperty("path")}");
            var names = Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).ToList();
            Assert.Equal(8, names.Count); // h5, mask, GeoJSON and tiles folder of each; no temporary
            Assert.All(names, n => Assert.True(System.Text.Encoding.UTF8.GetByteCount(n!) <= 255 && !n!.StartsWith('.'), n));
            Assert.Contains(new string('a', 240) + ".tissue.geojson", names);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Tile_Json_AndMissingMppError_AndBadFile()
    {
        var dir = WsiFixtures.TempDir("cli");
        try
        {
            var outDir = Path.Combine(dir, "out");
            var (code, stdout, stderr) = Run("tile", WsiFixtures.Cmu1, "--out", outDir, "--mpp", "0.5", "--tile-size", "256", "--json");
            Assert.True(code == 0, stderr);
            var slide = JsonDocument.Parse(stdout).RootElement.GetProperty("slides")[0];
            Assert.Equal(WsiFixtures.Cmu1, slide.GetProperty("path").GetString());
            Assert.True(slide.GetProperty("tiles").GetInt32() > 10);
            Assert.True(slide.GetProperty("dropped").TryGetProperty("low_tissue", out _));
            Assert.True(slide.GetProperty("dropped").TryGetProperty("blur", out _));
            Assert.True(slide.GetProperty("seconds").GetDouble() > 0);
            Assert.True(File.Exists(slide.GetProperty("h5").GetString()));

            // No µm/px in the file and no --slide-mpp: exit 2, the file and the reason named, nothing written.
            (code, _, stderr) = Run("tile", WsiFixtures.TcgaJp2k, "--out", outDir, "--mpp", "0.5", "--tile-size", "256");
            Assert.Equal(2, code);
            Assert.Contains(WsiFixtures.TcgaJp2k, stderr);
            Assert.Contains("µm/px", stderr);
            Assert.Contains("--slide-mpp", stderr);
            Assert.False(File.Exists(Path.Combine(outDir, "tcga-cr-7395-01a-01-ts1.h5")));

            // With it: level 1 of the JPEG-2000 slide is chosen for 1 µm/px at 0.5 µm/px.
            (code, stdout, stderr) = Run("tile", WsiFixtures.TcgaJp2k, "--out", outDir, "--mpp", "1", "--tile-size", "224", "--slide-mpp", "0.5", "--json");
            Assert.True(code == 0, stderr);
            Assert.Equal(1, JsonDocument.Parse(stdout).RootElement.GetProperty("slides")[0].GetProperty("level").GetInt32());

            var empty = Path.Combine(dir, "empty.svs");
            File.WriteAllBytes(empty, []);
            (code, _, stderr) = Run("slide", "info", empty);
            Assert.Equal(2, code);
            Assert.Contains(empty, stderr);
            Assert.DoesNotContain("   at ", stderr); // a message, not a stack trace
        }
        finally { Directory.Delete(dir, true); }
    }
}
