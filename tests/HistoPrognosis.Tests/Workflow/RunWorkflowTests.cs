using System.Text.Json;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Tests.Workflow;

/// <summary><c>histoprog run</c> with the cross-validation protocol, from a config file a person would write.</summary>
[Collection(TorchCollection.Name)]
public sealed class RunWorkflowTests
{
    [Fact]
    public void ACrossValidationRunFromAYamlConfigMatchesTheCrossvalCommand()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = Path.Combine(dir, "cv.yaml");
        File.WriteAllText(config, $"""
            # a cohort simulated from the embedded patches, two folds of two aggregators
            seed: 4
            input:
              patches: {TestPaths.DemoLabels}
              simulate_follow_up: true
              max_patients: 24
            features: {"{"}backbone: scratch, image_size: 32, cache: cache{"}"}
            model:
              mil: {"{"}epochs: 5{"}"}
            crossval:
              folds: 2
              aggregators: [mean, abmil]
            evaluation: {"{"}bootstrap_samples: 20{"}"}
            """);
        var outDir = Path.Combine(dir, "out");
        var (exit, _, error) = Studies.PrognosisPipelineTests.Run("run", config, "--out", outDir);
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var arms = json.RootElement.GetProperty("crossval").GetProperty("arms").EnumerateArray().Select(a => a.GetProperty("name").GetString()).ToList();
        Assert.Equal(["mean", "abmil"], arms);
        Assert.Equal(24, json.RootElement.GetProperty("patients").GetInt32());
        Assert.True(Directory.Exists(Path.Combine(dir, "cache"))); // relative to the config file
        Assert.Contains("| abmil |", File.ReadAllText(Path.Combine(outDir, "summary.md")));

        // The same run through the crossval command and the cohort the run simulated: the same out-of-fold risks.
        var resolved = Path.Combine(outDir, RunConfig.FileName);
        var cohort = Path.Combine(outDir, "cohort", "cohort.csv");
        var table = Path.Combine(dir, "patches.csv");
        var lines = File.ReadAllLines(TestPaths.DemoLabels);
        var root = Path.GetDirectoryName(TestPaths.DemoLabels)!;
        var keep = File.ReadAllLines(cohort).Skip(1).Select(l => l.Split(',')[0]).ToHashSet();
        File.WriteAllLines(table, [lines[0], .. lines.Skip(1).Where(l => keep.Contains(l.Split(',')[1])).Select(l => Path.Combine(root, l.Split(',')[0]) + l[l.IndexOf(',')..])]);
        var cvConfig = Path.Combine(dir, "cv-command.yaml");
        File.WriteAllText(cvConfig, File.ReadAllText(resolved).Replace("simulate_follow_up: true", "simulate_follow_up: false").Replace("max_patients: 24", "max_patients: 0"));
        var cvDir = Path.Combine(dir, "cv");
        (exit, _, error) = Studies.PrognosisPipelineTests.Run("crossval", "--config", cvConfig, "--cohort", cohort, "--patches", table, "--out", cvDir);
        Assert.True(exit == 0, error);
        Assert.Equal(File.ReadAllText(Path.Combine(outDir, "crossval", "oof-risks.csv")), File.ReadAllText(Path.Combine(cvDir, "oof-risks.csv")));
        Assert.Contains($"cohort: \"{cohort}\"", File.ReadAllText(Path.Combine(cvDir, RunConfig.FileName)));
    }
}

/// <summary>The slide path of <c>histoprog run</c>: six patients on the three real slides and copies of them, straight from the slides into features.</summary>
[Collection(TorchCollection.Name)]
public sealed class SlideRunTests
{
    [Fact]
    public void ARunWithThePrognosisObjectiveFineTunesBothBackbonesEndToEndAndIsUpToDateWhenRerun()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = Path.Combine(dir, "e2e.yaml");
        File.WriteAllText(config, $"""
            seed: 4
            input:
              patches: {TestPaths.DemoLabels}
              simulate_follow_up: true
              max_patients: 30
            features: {"{"}image_size: 32, compare_backbone: scratch{"}"}
            finetune:
              enabled: true
              objective: prognosis
              head_only_steps: 1
              full_steps: 2
              evaluate_every: 1
              end_to_end: {"{"}patients_per_batch: 4, patches_per_patient: 3{"}"}
            evaluation: {"{"}protocol: holdout, bootstrap_samples: 20{"}"}
            """);
        var outDir = Path.Combine(dir, "out");
        var (exit, _, error) = Studies.PrognosisPipelineTests.Run("run", config, "--out", outDir);
        Assert.True(exit == 0, error);
        var results = File.ReadAllText(Path.Combine(outDir, "results.json"));
        using (var json = JsonDocument.Parse(results))
        {
            var arms = json.RootElement.GetProperty("arms").EnumerateArray().ToList();
            Assert.Equal(["imagenet-resnet18", "scratch"], arms.Select(a => a.GetProperty("finetuned_from").GetString()));
            Assert.NotNull(json.RootElement.GetProperty("comparison").GetProperty("difference").GetProperty("value").GetDouble());
        }
        // Each arm's model is an end-to-end model folder (backbone weights inside), no patch fine-tuning ran.
        foreach (var arm in new[] { RunWorkflow.MainArm, RunWorkflow.CompareArm })
        {
            Assert.True(File.Exists(Path.Combine(outDir, arm, "model", "end-to-end.json")), arm);
            Assert.False(Directory.Exists(Path.Combine(outDir, arm, "finetune")), arm);
            Assert.False(Directory.Exists(Path.Combine(outDir, arm, ".end-to-end-checkpoints")), arm);
        }
        // The pretrained arm with discriminative rates, its random twin at one rate for every layer.
        Assert.Contains("\"policy\": \"discriminative\"", File.ReadAllText(Path.Combine(outDir, RunWorkflow.MainArm, "model", "end-to-end.json")));
        Assert.Contains("\"policy\": \"scratch\"", File.ReadAllText(Path.Combine(outDir, RunWorkflow.CompareArm, "model", "end-to-end.json")));
        var stamps = Directory.GetFiles(outDir, StageRunner.MarkerName, SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        (exit, _, error) = Studies.PrognosisPipelineTests.Run("run", Path.Combine(outDir, RunConfig.FileName), "--out", outDir);
        Assert.True(exit == 0, error);
        foreach (var (file, time) in stamps) Assert.Equal(time, File.GetLastWriteTimeUtc(file));
        Assert.Equal(results, File.ReadAllText(Path.Combine(outDir, "results.json")));
        TestPaths.TryDelete(dir);
    }

    [Fact]
    public void ARunFromASlideManifestWritesFeaturesWithoutAnyTileImage()
    {
        var dir = TestPaths.NewTempDirectory();
        var slides = new[] { Slides.WsiFixtures.Cmu1, Slides.WsiFixtures.TcgaJp2k, Slides.WsiFixtures.Dicom };
        var rows = new List<string> { "patient_id,slide_path,mpp" };
        for (int i = 0; i < 6; i++)
        {
            var source = slides[i % 3];
            var copy = Path.Combine(dir, "slides", $"case-{i}{Path.GetExtension(source)}");
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(source, copy);
            // Only CMU-1 states its µm/px (0.499); the manifest gives the other two theirs per row.
            rows.Add($"P{i},slides/{Path.GetFileName(copy)},{(source == Slides.WsiFixtures.Cmu1 ? "" : "0.5")}");
        }
        File.WriteAllLines(Path.Combine(dir, "slides.csv"), rows);
        File.WriteAllLines(Path.Combine(dir, "cohort.csv"), ["patient_id,time_months,event", "P0,12,1", "P1,70,0", "P2,30,1", "P3,80,0", "P4,20,1", "P5,65,0"]);
        var config = Path.Combine(dir, "run.yaml");
        File.WriteAllText(config, """
            input: {cohort: cohort.csv, slides: slides.csv}
            tiling: {target_mpp: 4, tile_size: 64}
            features: {backbone: scratch, image_size: 32, cache: cache}
            model: {mil: {epochs: 3}}
            crossval: {folds: 2}
            evaluation: {bootstrap_samples: 0}
            """);
        var outDir = Path.Combine(dir, "out");
        var (exit, _, error) = Studies.PrognosisPipelineTests.Run("run", config, "--out", outDir);
        Assert.True(exit == 0, error);
        Assert.DoesNotContain(Directory.GetFiles(dir, "*.png", SearchOption.AllDirectories), f => !f.EndsWith(".mask.png", StringComparison.Ordinal));
        var features = Directory.GetFiles(Path.Combine(dir, "cache"), "*.h5", SearchOption.AllDirectories);
        Assert.Equal(6, features.Length);
        Assert.Equal(6, File.ReadAllLines(Path.Combine(outDir, "crossval", "oof-risks.csv")).Length - 1);

        // A rerun reuses every stage (the tile table is rewritten with the same content).
        var marker = Path.Combine(outDir, "crossval", StageRunner.MarkerName);
        var stamp = File.GetLastWriteTimeUtc(marker);
        (exit, _, error) = Studies.PrognosisPipelineTests.Run("run", config, "--out", outDir);
        Assert.True(exit == 0, error);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(marker));

        // A manifest row whose slide is missing is named with its row.
        var manifest = File.ReadAllLines(Path.Combine(dir, "slides.csv"));
        File.WriteAllLines(Path.Combine(dir, "slides.csv"), [.. manifest, "P6,slides/none.svs,"]);
        (exit, _, error) = Studies.PrognosisPipelineTests.Run("run", config, "--out", Path.Combine(dir, "out2"));
        Assert.Equal(2, exit);
        Assert.Contains("row 8", error);
        Assert.Contains("none.svs", error);
        Assert.False(Directory.Exists(Path.Combine(dir, "out2")));

        // A slide that cannot be read stops the run naming its row, or with --skip-errors is listed in failures.csv.
        File.WriteAllText(Path.Combine(dir, "slides", "broken.svs"), "not a slide");
        File.WriteAllLines(Path.Combine(dir, "slides.csv"), [.. manifest, "P5,slides/broken.svs,"]);
        (exit, _, error) = Studies.PrognosisPipelineTests.Run("run", config, "--out", Path.Combine(dir, "out3"));
        Assert.Equal(2, exit);
        Assert.Contains("row 8 ", error);
        Assert.Contains("broken.svs", error);
        Assert.False(File.Exists(Path.Combine(dir, "out3", "results.json")));
        (exit, _, error) = Studies.PrognosisPipelineTests.Run("run", config, "--out", Path.Combine(dir, "out3"), "--skip-errors");
        Assert.True(exit == 0, error);
        var failures = File.ReadAllLines(Path.Combine(dir, "out3", "failures.csv"));
        Assert.Equal(2, failures.Length);
        Assert.StartsWith("8,P5,", failures[1]);
        Assert.Contains("broken.svs", failures[1]);
    }
}
