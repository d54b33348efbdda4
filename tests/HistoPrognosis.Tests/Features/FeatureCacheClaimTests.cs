using System.Text.RegularExpressions;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.IO;
using HistoPrognosis.Models;

namespace HistoPrognosis.Tests.Features;

/// <summary>Workers sharing one feature cache split the patients, wait for each other, and take over a dead one's patient.</summary>
[Collection(TorchCollection.Name)]
public sealed partial class FeatureCacheClaimTests
{
    [Fact]
    public async Task APatientClaimedElsewhereIsWaitedForThenTakenOverWhenItsClaimantLetsGoWithoutWriting()
    {
        var table = PatchTable.Load(TestPaths.DemoLabels, requireLabel: false);
        var patients = table.PatientIds.Take(3).ToList();
        using var backbone = BackboneFactory.Create("scratch", 7);
        var settings = FeatureSettings.Of("scratch", backbone, 32, TorchSharp.torch.CPU, FeatureEngineKind.Auto);
        var cache = new FeatureCache(TestPaths.NewTempDirectory(), PipelineLog.Silent);
        var folder = cache.FolderFor(settings);
        var held = Path.Combine(folder, patients[1] + ".h5");
        // Another worker holds patient 2 (a second open file description: flock conflicts even within one process).
        var other = WorkClaim.TryTake(held)!;
        Assert.Null(WorkClaim.TryTake(held));
        var run = Task.Run(() => cache.Get(table, patients, new Lazy<Backbone>(() => backbone), settings, TorchSharp.torch.CPU));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(File.Exists(Path.Combine(folder, patients[0] + ".h5")) && File.Exists(Path.Combine(folder, patients[2] + ".h5"))) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        await Task.Delay(500);
        Assert.False(run.IsCompleted, "the claimed patient was not waited for");
        Assert.False(File.Exists(held), "the claimed patient was extracted twice");
        other.Dispose(); // the other worker died before writing: its patient is taken over
        var features = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(3, cache.Extracted);
        Assert.Equal(patients, features.Select(p => p.PatientId));
        Assert.Empty(Directory.EnumerateFiles(folder, "*.lock"));
    }

    [GeneratedRegex(@"(\d+) extracted, (\d+) reused")]
    private static partial Regex Counts();

    [Fact]
    public async Task TwoExtractProcessesIntoOneCacheDoEachPatientOnce()
    {
        var dir = TestPaths.NewTempDirectory();
        var cacheRoot = Path.Combine(dir, "cache");
        var patients = PatchTable.Load(TestPaths.DemoLabels, requireLabel: false).PatientIds.Count;
        string[] args = ["extract", "--patches", TestPaths.DemoLabels, "--backbone", "scratch", "--image-size", "32", "--feature-cache", cacheRoot];
        var results = await Task.WhenAll(HistoprogProcess.RunAsync(args), HistoprogProcess.RunAsync(args));
        int extracted = 0, reused = 0;
        foreach (var result in results)
        {
            Assert.True(result.Code == 0, result.Err);
            var match = Counts().Match(result.Out);
            Assert.True(match.Success, result.Out);
            extracted += int.Parse(match.Groups[1].Value);
            reused += int.Parse(match.Groups[2].Value);
        }
        // Every patient extracted by exactly one of the two; the other read it.
        Assert.Equal(patients, extracted);
        Assert.Equal(patients, reused);
        Assert.Equal(patients, Directory.EnumerateFiles(cacheRoot, "*.h5", SearchOption.AllDirectories).Count());
        Assert.Empty(Directory.EnumerateFiles(cacheRoot, "*.lock", SearchOption.AllDirectories));
    }
}
