using System.Diagnostics;
using System.Text.Json;

namespace HistoPrognosis.Tests.Slides;

/// <summary>The CLI end to end, as a separate process: JSON names, exit codes and error messages.</summary>
public class SlideCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "histoprog.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), "histoprog timed out");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

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
