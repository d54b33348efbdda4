using System.Text.Json;
using HistoPrognosis.Models;
using HistoPrognosis.Workflow;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Workflow;

/// <summary>
/// The demo on a tiny configuration of the real embedded patches: it is <c>histoprog run</c> with a preset, so its
/// <c>run-config.yaml</c> rerun through <c>histoprog run</c> gives the same bytes, and a rerun into the same folder
/// reuses every stage.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DemoTests
{
    private static readonly string[] Tiny =
        ["--max-patients", "20", "--seed", "5", "--image-size", "32", "--batch", "8", "--head-steps", "3", "--full-steps", "3", "--epochs", "5", "--bootstrap", "50",
         "--sizes", "10,all", "--study-head-steps", "1", "--study-full-steps", "2"];

    private static (int Exit, string Output, string Error) Run(params string[] args) => Studies.PrognosisPipelineTests.Run(args);

    [Fact]
    public void DemoComparesBothBackbonesAndItsRunConfigReproducesItExactly()
    {
        var dir = TestPaths.NewTempDirectory();
        var outDir = Path.Combine(dir, "demo");
        var cache = Path.Combine(dir, "cache");
        var (exit, _, error) = Run(["demo", "--out", outDir, "--feature-cache", cache, .. Tiny]);
        Assert.True(exit == 0, error);
        var results = File.ReadAllText(Path.Combine(outDir, "results.json"));
        using (var json = JsonDocument.Parse(results))
        {
            var arms = json.RootElement.GetProperty("arms").EnumerateArray().ToList();
            Assert.Equal([RunWorkflow.MainArm, RunWorkflow.CompareArm], arms.Select(a => a.GetProperty("name").GetString()));
            Assert.Equal([BackboneFactory.ImageNet, BackboneFactory.Scratch], arms.Select(a => a.GetProperty("finetuned_from").GetString()));
            foreach (var a in arms)
            {
                var harrell = a.GetProperty("evaluation").GetProperty("harrell_c");
                Assert.InRange(harrell.GetProperty("value").GetDouble(), 0, 1);
                Assert.True(harrell.GetProperty("lower").GetDouble() <= harrell.GetProperty("upper").GetDouble());
            }
            Assert.Equal(20, json.RootElement.GetProperty("patients").GetInt32());
            var difference = json.RootElement.GetProperty("comparison").GetProperty("difference").GetProperty("value").GetDouble();
            Assert.Equal(arms[0].GetProperty("evaluation").GetProperty("harrell_c").GetProperty("value").GetDouble()
                         - arms[1].GetProperty("evaluation").GetProperty("harrell_c").GetProperty("value").GetDouble(), difference, 12);
        }
        // The prognosis-transfer story: three arms at the small and the full training size, each with its interval, and
        // every paired difference the difference of the two arms' test C on the same patients.
        using (var json = JsonDocument.Parse(results))
        {
            var study = json.RootElement.GetProperty("prognosis_transfer");
            int pool = study.GetProperty("training_pool").GetInt32();
            Assert.Equal(20, pool + study.GetProperty("test_patients").GetInt32());
            var cells = study.GetProperty("cells").EnumerateArray().Select(c => (Arm: c.GetProperty("arm").GetString()!, N: c.GetProperty("train_patients").GetInt32(),
                Metric: c.GetProperty("metric").GetString()!, Mean: c.GetProperty("mean").GetDouble(), Lower: c.GetProperty("lower").GetDouble(), Upper: c.GetProperty("upper").GetDouble())).ToList();
            Assert.Equal(new[] { 10, pool }, cells.Select(c => c.N).Distinct().Order());
            Assert.Equal(new[] { "end-to-end-discriminative", "frozen-mil", "scratch-end-to-end" }, cells.Select(c => c.Arm).Distinct().Order());
            foreach (var c in cells.Where(c => c.Metric == "harrell_c"))
            {
                Assert.InRange(c.Mean, 0, 1);
                // A perfect (or perfectly reversed) ranking of the few test patients is 1 (0) in every resample: its
                // interval is that point. Any other C has a spread.
                bool perfect = c.Mean is 0 or 1;
                Assert.True((perfect || c.Lower < c.Upper) && c.Lower <= c.Mean && c.Mean <= c.Upper, $"{c.Arm} n={c.N}: no patient-bootstrap interval around {c.Mean} [{c.Lower}, {c.Upper}]");
            }
            foreach (var d in cells.Where(c => c.Metric == "difference_to_scratch"))
                Assert.Equal(cells.Single(c => c.Arm == d.Arm && c.N == d.N && c.Metric == "harrell_c").Mean
                             - cells.Single(c => c.Arm == "scratch-end-to-end" && c.N == d.N && c.Metric == "harrell_c").Mean, d.Mean, 12);
            Assert.Equal(4, cells.Count(c => c.Metric == "difference_to_scratch"));
        }
        Assert.Contains("## Transfer vs scratch on the prognosis itself", File.ReadAllText(Path.Combine(outDir, "summary.md")));
        Assert.True(File.Exists(Path.Combine(outDir, "prognosis-transfer", "harrell-c.svg")));

        // The split is patient-level: no test patient's patches trained either network or either MIL model.
        var split = File.ReadAllLines(Path.Combine(outDir, "split", "split.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Empty(split.Where(r => r[1] == "train").Select(r => r[0]).Intersect(split.Where(r => r[1] == "test").Select(r => r[0])));
        Assert.Equal(20, split.Count);
        Assert.Contains("# HistoPrognosis demo", File.ReadAllText(Path.Combine(outDir, "summary.md")));

        // The demo's resolved config, run anywhere else, gives the same bytes.
        var config = Path.Combine(outDir, RunConfig.FileName);
        Assert.Contains("simulate_follow_up: true", File.ReadAllText(config));
        var other = Path.Combine(dir, "other");
        (exit, _, error) = Run("run", config, "--out", other);
        Assert.True(exit == 0, error);
        Assert.Equal(results, File.ReadAllText(Path.Combine(other, "results.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(outDir, "main", "predict", "risks.csv")), File.ReadAllBytes(Path.Combine(other, "main", "predict", "risks.csv")));
        Assert.Equal(File.ReadAllText(config), File.ReadAllText(Path.Combine(other, RunConfig.FileName)));

        // Rerun into the same folder: every stage is up to date and nothing is rewritten.
        var stamps = Directory.GetFiles(other, StageRunner.MarkerName, SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Assert.True(stamps.Count >= 8, $"{stamps.Count} stages");
        (exit, _, error) = Run("run", config, "--out", other);
        Assert.True(exit == 0, error);
        foreach (var (file, time) in stamps) Assert.Equal(time, File.GetLastWriteTimeUtc(file));
        Assert.Equal(results, File.ReadAllText(Path.Combine(other, "results.json")));

        // A changed model setting redoes training onwards, never the fine-tuning or the split.
        (exit, _, error) = Run("run", config, "--out", other, "--epochs", "6");
        Assert.True(exit == 0, error);
        Assert.Equal(stamps.Single(s => s.Key.Contains($"{Path.DirectorySeparatorChar}split{Path.DirectorySeparatorChar}")).Value,
            File.GetLastWriteTimeUtc(Path.Combine(other, "split", StageRunner.MarkerName)));
        Assert.Equal(stamps[Path.Combine(other, "main", "finetune", StageRunner.MarkerName)], File.GetLastWriteTimeUtc(Path.Combine(other, "main", "finetune", StageRunner.MarkerName)));
        Assert.NotEqual(stamps[Path.Combine(other, "main", "model", StageRunner.MarkerName)], File.GetLastWriteTimeUtc(Path.Combine(other, "main", "model", StageRunner.MarkerName)));
        Assert.Contains("epochs: 6", File.ReadAllText(Path.Combine(other, RunConfig.FileName)));
        TestPaths.TryDelete(dir); // 1.2 GB: kept only when the test fails, until the next run's sweep
    }

    [Fact]
    public void MissingDataFailsWithoutCreatingTheOutputFolder()
    {
        var dir = TestPaths.NewTempDirectory();
        var outDir = Path.Combine(dir, "out");
        var missing = Path.Combine(dir, "no-such-folder", "labels.csv");
        var (exit, _, error) = Run("demo", "--patches", missing, "--out", outDir);
        Assert.Equal(2, exit);
        Assert.Contains(missing, error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void UnreadableImageIsNamedWithItsRowAndNoResultsAreWritten()
    {
        var dir = TestPaths.NewTempDirectory();
        var source = File.ReadAllLines(TestPaths.DemoLabels);
        var root = Path.GetDirectoryName(TestPaths.DemoLabels)!;
        var lines = new List<string> { source[0] };
        lines.AddRange(source.Skip(1).Select(l => Path.Combine(root, l.Split(',')[0]) + l[l.IndexOf(',')..]));
        File.WriteAllText(Path.Combine(dir, "broken.png"), "not an image");
        lines[10] = "broken.png" + lines[10][lines[10].IndexOf(',')..];
        var labels = Path.Combine(dir, "labels.csv");
        File.WriteAllLines(labels, lines);
        var outDir = Path.Combine(dir, "out");
        var (exit, _, error) = Run(["demo", "--patches", labels, "--out", outDir, .. Tiny[2..]]);
        Assert.Equal(2, exit);
        Assert.Contains("row 11", error);
        Assert.Contains("broken.png", error);
        Assert.False(File.Exists(Path.Combine(outDir, "results.json")));
        Assert.Empty(Directory.GetDirectories(dir, "*partial*", SearchOption.AllDirectories));
        TestPaths.TryDelete(dir);
    }

    [Fact]
    public void TableWithoutLabelColumnIsRejected()
    {
        var dir = TestPaths.NewTempDirectory();
        var labels = Path.Combine(dir, "labels.csv");
        File.WriteAllText(labels, "path,patient_id\na.png,1\n");
        var (exit, _, error) = Run("demo", "--patches", labels, "--out", Path.Combine(dir, "out"));
        Assert.Equal(2, exit);
        Assert.Contains("'label'", error);
        Assert.Contains(labels, error);
    }

    [Fact]
    public void CudaRequestedWithoutCudaIsAClearError()
    {
        if (cuda.is_available()) return; // on a GPU machine the request is valid
        var ex = Assert.Throws<UserInputException>(() => ComputeDevice.Resolve(ComputeDeviceKind.Cuda));
        Assert.Contains("CUDA", ex.Message);
        Assert.Equal(2, Run("backbone", "check", "--device", "cuda").Exit);
    }
}
