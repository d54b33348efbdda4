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
