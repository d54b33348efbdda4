using System.Text.Json;
using HistoPrognosis.Cli;
using HistoPrognosis.Imaging;
using HistoPrognosis.Transforms;

namespace HistoPrognosis.Tests.Studies;

[Collection(TorchCollection.Name)]
public sealed class StainShiftStudyTests
{
    [Fact]
    public void SiteRestainChangesColourButKeepsBackgroundAndIsDeterministic()
    {
        var image = ImageCodec.Read(Path.Combine(Path.GetDirectoryName(TestPaths.DemoLabels)!, "images/10256/1/10256_idx5_x1601_y1051_class1.png"));
        var restain = new SiteRestain(SiteRestain.MacenkoReferenceH, SiteRestain.MacenkoReferenceE, 1.3, 0.7);
        var a = restain.Apply(image, new Random(1));
        var b = restain.Apply(image, new Random(2));
        Assert.Equal(a.Pixels, b.Pixels);
        double meanDiff = a.Pixels.Zip(image.Pixels, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(meanDiff > 5, $"site B looks the same as site A (mean |Δ| {meanDiff:F2})");
        // Pure white (no stain, OD 0) stays white whatever the stain matrix.
        var white = new RgbImage(2, 1, [255, 255, 255, 255, 255, 255]);
        Assert.All(restain.Apply(white, new Random(0)).Pixels, v => Assert.Equal(255, v));
        Assert.Throws<UserInputException>(() => new SiteRestain([0, 0, 0], SiteRestain.MacenkoReferenceE, 1, 1));
    }

    [Fact]
    public async Task StudyReportsEveryArmOnBothSites()
    {
        var dir = TestPaths.NewTempDirectory();
        var lines = File.ReadAllLines(TestPaths.DemoLabels);
        var root = Path.GetDirectoryName(TestPaths.DemoLabels)!;
        var keep = lines.Skip(1).Select(l => l.Split(',')[1]).Distinct().Take(10).ToHashSet();
        var table = Path.Combine(dir, "patches.csv");
        File.WriteAllLines(table, lines.Take(1).Concat(lines.Skip(1).Where(l => keep.Contains(l.Split(',')[1]))
            .Select(l => Path.Combine(root, l.Split(',')[0]) + l[l.IndexOf(',')..])));
        var outDir = Path.Combine(dir, "out");
        int code = await CliRunner.InvokeAsync(CliApp.BuildRoot(), ["study", "stain-shift", "--patches", table, "--steps", "4", "--batch", "6",
            "--image-size", "32", "--out", outDir]);
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stain-shift.json")));
        var arms = json.RootElement.GetProperty("arms").EnumerateArray().ToList();
        Assert.Equal(12, arms.Count);
        Assert.Equal(["none", "normalization", "normalization-patient", "augmentation", "both", "both-patient"], arms.Select(a => a.GetProperty("arm").GetString()).Distinct());
        Assert.All(arms, a => Assert.InRange(a.GetProperty("auc").GetDouble(), 0, 1));
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, "stain-shift.svg")));
    }
}
