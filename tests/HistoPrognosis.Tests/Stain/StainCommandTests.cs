using System.CommandLine;
using HistoPrognosis.Cli;
using HistoPrognosis.Cli.Commands;
using HistoPrognosis.Imaging;
using HistoPrognosis.Stain;
using NetVips;

namespace HistoPrognosis.Tests.Stain;

public sealed class StainCommandTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDirectory("staincli");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static Task<int> Run(params string[] args) => CliRunner.InvokeAsync(new RootCommand { StainCommand.Create() }, args);

    [Fact]
    public async Task NormalizesWithTargetThenReusesSavedFit()
    {
        var outA = Path.Combine(dir, "a");
        var fit = Path.Combine(dir, "fit.json");
        int rc = await Run("stain", "normalize", "--method", "macenko", "--target", StainReference.InputPath("target"), "--out", outA,
            "--save-fit", fit, StainReference.InputPath("crc_tum"), StainReference.InputPath("breakhis_benign"));
        Assert.Equal(0, rc);
        Assert.Equal(StainReference.Output("macenko", "crc_tum").Pixels, ImageCodec.Read(Path.Combine(outA, "crc_tum.png")).Pixels);
        Assert.True(File.Exists(fit));

        var outB = Path.Combine(dir, "b");
        Assert.Equal(0, await Run("stain", "normalize", "--fit", fit, "--out", outB, StainReference.InputPath("crc_tum")));
        Assert.Equal(StainReference.Output("macenko", "crc_tum").Pixels, ImageCodec.Read(Path.Combine(outB, "crc_tum.png")).Pixels);
        Assert.Equal(2, await Run("stain", "normalize", "--method", "reinhard", "--fit", fit, "--out", outB, StainReference.InputPath("crc_tum")));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("macenko")]
    [InlineData("reinhard")]
    public async Task JointSourceMapsEveryInputWithOneEstimateFromAllOfThem(string method)
    {
        var inputs = new[] { "crc_tum", "breakhis_benign" };
        var outDir = Path.Combine(dir, "joint");
        Assert.Equal(0, await Run(["stain", "normalize", "--method", method, "--target", StainReference.InputPath("target"), "--joint-source",
            "--out", outDir, .. inputs.Select(StainReference.InputPath)]));
        var normalizer = StainNormalizers.Create(method);
        normalizer.Fit(StainReference.Input("target"));
        var source = normalizer.EstimateSource(Mosaic.Build(inputs.Select(StainReference.Input).ToList()));
        foreach (var name in inputs)
        {
            var written = ImageCodec.Read(Path.Combine(outDir, name + ".png")).Pixels;
            Assert.Equal(normalizer.Transform(StainReference.Input(name), source).Pixels, written);
            // One estimate for both differs from each image's own (the per-image reference output).
            Assert.NotEqual(StainReference.Output(method, name).Pixels, written);
        }
    }

    [Fact]
    public async Task BadInputFailsWithoutWritingAnything()
    {
        var grey = Path.Combine(dir, "grey.png");
        using (var g = Image.Black(16, 16) + 120) using (var g8 = g.Cast(Enums.BandFormat.Uchar)) g8.Pngsave(grey);
        var alpha = Path.Combine(dir, "alpha.png");
        using (var a = (Image.Black(16, 16, bands: 4) + 120).Cast(Enums.BandFormat.Uchar)) using (var rgba = a.Copy(interpretation: Enums.Interpretation.Srgb)) rgba.Pngsave(alpha);
        var deep = Path.Combine(dir, "deep.png");
        using (var d = (Image.Black(16, 16, bands: 3) + 30000).Cast(Enums.BandFormat.Ushort)) using (var d16 = d.Copy(interpretation: Enums.Interpretation.Rgb16)) d16.Pngsave(deep);
        var broken = Path.Combine(dir, "broken.png");
        File.WriteAllText(broken, "not an image");
        var white = Path.Combine(dir, "white.png");
        ImageCodec.WritePng(new RgbImage(32, 32, Enumerable.Repeat((byte)252, 32 * 32 * 3).ToArray()), white);

        var target = StainReference.InputPath("target");
        var good = StainReference.InputPath("crc_tum");
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["--target", white, good], "white.png"),
            (["--target", target, good, grey], "grey.png"),
            (["--target", target, good, alpha], "alpha.png"),
            (["--target", target, good, deep], "deep.png"),
            (["--target", target, good, broken], "broken.png"),
            (["--target", target, good, Path.Combine(dir, "missing.png")], "missing.png"),
            (["--fit", broken, good], "broken.png"),
        })
        {
            var output = Path.Combine(dir, "out-" + expected);
            // Exit code through the CLI; the message through the library call it makes (no global Console
            // redirection: other test classes run in parallel).
            Assert.Equal(2, await Run(["stain", "normalize", "--method", "macenko", "--out", output, .. args]));
            var request = new HistoPrognosis.Stain.StainBatchRequest
            {
                Method = "macenko",
                TargetPath = args[0] == "--target" ? args[1] : null,
                FitPath = args[0] == "--fit" ? args[1] : null,
                OutputDirectory = output,
                Inputs = args[2..],
            };
            Assert.Contains(expected, Assert.Throws<UserInputException>(() => HistoPrognosis.Stain.StainBatch.Run(request)).Message);
            Assert.False(Directory.Exists(output), $"{output} was created");
        }
        Assert.Empty(Directory.GetDirectories(dir, ".out-*"));
    }
}
