using HistoPrognosis.Data;
using HistoPrognosis.Imaging;
using HistoPrognosis.Stain;

namespace HistoPrognosis.Tests.Features;

/// <summary>The <c>stain</c> section: patches are normalized before the backbone, and the fit keys the feature cache.</summary>
[Collection(TorchCollection.Name)]
public sealed class StainedFeaturesTests
{
    [Fact]
    public void StainNormalizationChangesTheFeaturesAndKeysTheCache()
    {
        var dir = TestPaths.NewTempDirectory();
        var table = PatchTable.Load(TestPaths.DemoLabels, requireLabel: true);
        var patches = table.Subset(table.PatientIds.Take(2));
        var patchTable = Path.Combine(dir, "patches.csv");
        File.WriteAllLines(patchTable, ["path,patient_id", .. patches.Patches.Select(p => $"{p.Path},{p.PatientId}")]);
        var target = patches.Patches.First(p => p.Label == 1).Path;
        string[] Extract(params string[] extra) => ["extract", "--patches", patchTable, "--backbone", "scratch", "--image-size", "32", "--feature-cache", Path.Combine(dir, "cache"), .. extra];
        string Folder(string output) => output.Trim().Split("→ ")[1];

        var (exit, plain, error) = Studies.PrognosisPipelineTests.Run(Extract());
        Assert.True(exit == 0, error);
        (exit, var stained, error) = Studies.PrognosisPipelineTests.Run(Extract("--stain", "reinhard", "--stain-target", target));
        Assert.True(exit == 0, error);
        Assert.NotEqual(Folder(plain), Folder(stained));
        Assert.Contains("2 extracted", stained);
        (exit, var again, error) = Studies.PrognosisPipelineTests.Run(Extract("--stain", "reinhard", "--stain-target", target));
        Assert.Contains("2 reused", again);

        // The patch the reader hands the backbone is the normalizer's output for that patch.
        var (transform, key) = new StainConfig { Method = StainMethod.Reinhard, Target = target }.Create();
        Assert.StartsWith("reinhard:", key);
        using var reader = new PatchReader(transform);
        var record = patches.Patches[0];
        var normalizer = StainNormalizers.Create("reinhard");
        normalizer.Fit(ImageCodec.Read(target));
        Assert.Equal(normalizer.Transform(ImageCodec.Read(record.Path)).Pixels, reader.Read(record).Pixels);
        Assert.NotEqual(ImageCodec.Read(record.Path).Pixels, reader.Read(record).Pixels);

        (exit, _, error) = Studies.PrognosisPipelineTests.Run(Extract("--stain", "macenko"));
        Assert.Equal(2, exit);
        Assert.Contains("stain.target (--stain-target) is required", error);
    }
}
