using HistoPrognosis.IO;
using System.Text.Json;
using HistoPrognosis.Cli;
using HistoPrognosis.Data;
using HistoPrognosis.Reports;
using HistoPrognosis.Studies;
using HistoPrognosis.Training;

namespace HistoPrognosis.Tests.Studies;

/// <summary>The transfer study end to end on a tiny budget of the embedded real patches.</summary>
[Collection(TorchCollection.Name)]
public sealed class TransferStudyTests
{
    private static (string Pool, string Test, int TestPatches) WriteTables(string dir)
    {
        var lines = File.ReadAllLines(TestPaths.DemoLabels);
        var root = Path.GetDirectoryName(TestPaths.DemoLabels)!;
        var table = PatchTable.Load(TestPaths.DemoLabels, requireLabel: true);
        var ids = table.PatientIds;
        var pool = ids.Take(8).ToHashSet();
        var test = ids.Skip(50).Take(3).ToHashSet();
        string Absolute(string line) => Path.Combine(root, line.Split(',')[0]) + line[line.IndexOf(',')..];
        var poolPath = Path.Combine(dir, "pool.csv");
        var testPath = Path.Combine(dir, "test.csv");
        File.WriteAllLines(poolPath, lines.Take(1).Concat(lines.Skip(1).Where(l => pool.Contains(l.Split(',')[1])).Select(Absolute)));
        var testLines = lines.Skip(1).Where(l => test.Contains(l.Split(',')[1])).Select(Absolute).ToList();
        File.WriteAllLines(testPath, lines.Take(1).Concat(testLines));
        return (poolPath, testPath, testLines.Count);
    }

    [Fact]
    public async Task StudyWritesRunsPredictionsTableAndPlot()
    {
        var dir = TestPaths.NewTempDirectory();
        var (pool, test, testPatches) = WriteTables(dir);
        var outDir = Path.Combine(dir, "study");
        int code = await CliRunner.InvokeAsync(CliApp.BuildRoot(), ["study", "transfer", "--train-table", pool, "--test-table", test,
            "--sizes", "3,6", "--repeats", "1", "--methods", "scratch,finetune", "--steps", "4", "--batch", "6", "--image-size", "32", "--out", outDir]);
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "study.json")));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(4, runs.Count);
        foreach (var run in runs)
        {
            Assert.InRange(run.GetProperty("auc").GetDouble(), 0, 1);
            Assert.InRange(run.GetProperty("balanced_accuracy").GetDouble(), 0, 1);
            // Convergence: AUC at 10/25/50/100% of the 4 steps → steps 1, 2 (25% and 50% coincide with 1 and 2), 4.
            Assert.Contains(4, run.GetProperty("auc_during_training").EnumerateArray().Select(e => e.GetProperty("step").GetInt32()));
        }
        Assert.Equal(1 + 4 * testPatches, File.ReadAllLines(Path.Combine(outDir, "predictions.csv")).Length);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, "learning-curve.svg")));
        Assert.Contains("| 6 |", File.ReadAllText(Path.Combine(outDir, "table.md")));
    }

    [Fact]
    public void StudyKilledAfterARunResumesToTheSameResults()
    {
        var dir = TestPaths.NewTempDirectory();
        var (pool, test, _) = WriteTables(dir);
        string[] Arguments(string outDir) => ["study", "transfer", "--train-table", pool, "--test-table", test, "--sizes", "3,6", "--repeats", "1",
            "--methods", "scratch,finetune", "--steps", "3", "--batch", "6", "--image-size", "32", "--out", outDir];
        var reference = Path.Combine(dir, "reference");
        var first = HistoprogProcess.RunAsync(Arguments(reference)).GetAwaiter().GetResult();
        Assert.True(first.Code == 0, first.Err);
        var resumed = Path.Combine(dir, "resumed");
        Assert.Equal(137, HistoprogProcess.RunAsync(Arguments(resumed), crashAt: "study.run#2").GetAwaiter().GetResult().Code);
        Assert.False(Directory.Exists(resumed));
        var rerun = HistoprogProcess.RunAsync(Arguments(resumed)).GetAwaiter().GetResult();
        Assert.True(rerun.Code == 0, rerun.Err);
        Assert.Equal(2, rerun.Err.Split('\n').Count(l => l.Contains("(finished earlier)", StringComparison.Ordinal)));
        foreach (var file in new[] { "predictions.csv", "table.md", "learning-curve.svg" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(reference, file)), File.ReadAllBytes(Path.Combine(resumed, file)));
        // study.json too, but for the wall time of each run (the one value a rerun cannot reproduce).
        Assert.Equal(WithoutSeconds(Path.Combine(reference, "study.json")), WithoutSeconds(Path.Combine(resumed, "study.json")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir, ".*"));
        TestPaths.TryDelete(dir);

        static string WithoutSeconds(string path) =>
            System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(path), "\"seconds\": [0-9.eE+-]+", "\"seconds\": 0");
    }

    [Fact]
    public void InterruptedStudyResumesFromItsFinishedRuns()
    {
        var dir = TestPaths.NewTempDirectory();
        var (pool, test, testPatches) = WriteTables(dir);
        var config = new TransferStudyConfig
        {
            TrainTable = pool, TestTable = test, Sizes = [3], Repeats = 1, Methods = ["scratch", "finetune"],
            Finetune = new FinetuneConfig { ImageSize = 32, BatchSize = 6, HeadOnlySteps = 1, FullSteps = 3 },
        };
        var outDir = Path.Combine(dir, "study");
        // An earlier attempt finished 'scratch' and was killed while writing the next line.
        var progress = new StudyProgress(outDir, JsonSerializer.Serialize(config, HistoPrognosis.IO.JsonDefaults.Options));
        progress.Add(new CompletedRun(new StudyRun("scratch", 3, 1, 0.123, 0.5, 0.4, 0.2, 9.0, []), Enumerable.Repeat(0.25f, testPatches).ToArray()));
        File.AppendAllText(progress.FilePath, "{\"run\":{\"meth");

        IReadOnlyList<StudyRun> runs;
        using (var folder = new OutputFolder(outDir))
            runs = new TransferStudy(config, TorchSharp.torch.CPU, PipelineLog.Silent).Run(folder);

        Assert.Equal(["scratch", "finetune"], runs.Select(r => r.Method));
        Assert.Equal(0.123, runs[0].Auc); // reused, not retrained
        Assert.NotEqual(0.123, runs[1].Auc);
        var scratchRows = File.ReadAllLines(Path.Combine(outDir, "predictions.csv")).Where(l => l.Contains(",scratch,")).ToList();
        Assert.Equal(testPatches, scratchRows.Count);
        Assert.All(scratchRows, l => Assert.EndsWith(",0.25", l));
        Assert.False(File.Exists(progress.FilePath)); // removed once the output is complete

        // Other settings never reuse a progress file: it starts afresh.
        var other = new StudyProgress(outDir, "{}");
        Assert.Equal(0, other.Count);
    }

    [Fact]
    public void ARunAddedAfterAKilledWriteIsKept()
    {
        var outDir = Path.Combine(TestPaths.NewTempDirectory(), "study");
        var progress = new StudyProgress(outDir, "{\"s\":1}");
        progress.Add(new CompletedRun(new StudyRun("scratch", 3, 1, 0.1, 0.5, 0.4, 0.2, 9.0, []), [0.5f]));
        File.AppendAllText(progress.FilePath, "{\"run\":{\"meth"); // killed mid-line
        var resumed = new StudyProgress(outDir, "{\"s\":1}");
        resumed.Add(new CompletedRun(new StudyRun("finetune", 3, 1, 0.2, 0.5, 0.4, 0.2, 9.0, []), [0.25f]));
        var again = new StudyProgress(outDir, "{\"s\":1}");
        Assert.Equal(2, again.Count);
        Assert.Equal(0.2, again.Find("finetune", 3, 1)!.Run.Auc);
    }

    [Fact]
    public async Task OverlappingTablesAndOversizedDrawsAreRejected()
    {
        var dir = TestPaths.NewTempDirectory();
        var (pool, test, _) = WriteTables(dir);
        var outDir = Path.Combine(dir, "study");
        Assert.Equal(2, await CliRunner.InvokeAsync(CliApp.BuildRoot(), ["study", "transfer", "--train-table", pool, "--test-table", pool, "--sizes", "3", "--out", outDir]));
        Assert.Equal(2, await CliRunner.InvokeAsync(CliApp.BuildRoot(), ["study", "transfer", "--train-table", pool, "--test-table", test, "--sizes", "3,50", "--out", outDir]));
        Assert.Equal(2, await CliRunner.InvokeAsync(CliApp.BuildRoot(), ["study", "transfer", "--train-table", pool, "--test-table", test, "--sizes", "3,x", "--out", outDir]));
        Assert.False(Directory.Exists(outDir));
    }
}
