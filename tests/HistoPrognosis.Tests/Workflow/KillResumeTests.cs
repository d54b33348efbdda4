using HistoPrognosis.Workflow;

namespace HistoPrognosis.Tests.Workflow;

/// <summary>
/// The resume guarantee against a real SIGKILL: <c>histoprog finetune</c> runs as a child process that kills itself
/// at a named point (<see cref="CrashPoint"/>) — between checkpoints, inside one, right after one, while the outputs
/// are written — and the rerun into the same folder must end with the bytes of an uninterrupted run.
/// </summary>
public sealed class KillResumeTests
{
    private const int Killed = 137; // 128 + SIGKILL, as the shell reports it

    private static string WriteConfig(string dir)
    {
        var config = Path.Combine(dir, "finetune.yaml");
        File.WriteAllText(config, $"""
            seed: 5
            input:
              patches: {TestPaths.DemoLabels}
              max_patients: 6
            features:
              image_size: 32
            finetune:
              batch_size: 6
              head_only_steps: 3
              full_steps: 6
              evaluate_every: 2
              early_stopping_patience: 10
            """);
        return config;
    }

    /// <summary>Runs histoprog with these arguments, killed at <paramref name="crashAt"/> if given; a run not killed must succeed.</summary>
    private static int Run(string? crashAt, params string[] args)
    {
        var result = HistoprogProcess.RunAsync(args, crashAt).GetAwaiter().GetResult();
        if (crashAt is null) Assert.True(result.Code == 0, result.Out + result.Err);
        return result.Code;
    }

    private static int Finetune(string config, string outDir, string? crashAt) => Run(crashAt, "finetune", "--config", config, "--out", outDir);

    /// <summary>Every file of the folder but the wall time, by relative path.</summary>
    private static SortedDictionary<string, byte[]> Contents(string dir) =>
        new(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != FinetuneJob.TimingFile)
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes), StringComparer.Ordinal);

    [Fact]
    public void FinetuneKilledAnywhereResumesToTheSameBytes()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = WriteConfig(dir);
        var reference = Path.Combine(dir, "reference");
        Finetune(config, reference, null);
        var expected = Contents(reference);
        Assert.Contains(Path.Combine("checkpoints", "step-000009", "optimizer.bin"), expected.Keys);
        Assert.Contains("model.safetensors", expected.Keys);

        // Before a checkpoint (step 3 of 9), inside the second one (files written, not yet committed), right after
        // the third is committed (older ones not yet removed), and between the model and its description.
        string[] points = ["train.step#3", "checkpoint.written#2", "checkpoint.committed#3", "finetune.outputs"];
        foreach (var point in points)
        {
            var outDir = Path.Combine(dir, point.Replace('#', '-'));
            Assert.Equal(Killed, Finetune(config, outDir, point));
            Assert.False(File.Exists(Path.Combine(outDir, "metrics.csv")) && point != "finetune.outputs", $"{point}: the run finished instead of being killed");
            Finetune(config, outDir, null);
            var actual = Contents(outDir);
            Assert.Equal(expected.Keys, actual.Keys);
            foreach (var (file, bytes) in expected)
                Assert.True(bytes.AsSpan().SequenceEqual(actual[file]), $"killed at {point}: {file} differs from the uninterrupted run");
            TestPaths.TryDelete(outDir); // ~300 MB of ResNet checkpoints per case
        }
        TestPaths.TryDelete(dir);
    }

    [Fact]
    public void EndToEndTrainingKilledAnywhereResumesToTheSameBytes()
    {
        var dir = TestPaths.NewTempDirectory();
        var cohort = Path.Combine(dir, "cohort.csv");
        Run(null, "simulate", "--patches", TestPaths.DemoLabels, "--seed", "3", "--out", cohort);
        var config = Path.Combine(dir, "e2e.yaml");
        // Dropout and augmentation draw random numbers in every step: a resumed step must draw the same ones.
        File.WriteAllText(config, """
            seed: 4
            features: {image_size: 32}
            finetune:
              policy: discriminative
              head_only_steps: 2
              full_steps: 3
              evaluate_every: 2
              augment: flips,hed
              end_to_end: {patients_per_batch: 4, patches_per_patient: 3}
            model:
              aggregator: abmil
              mil: {dropout: 0.25}
            """);
        string[] Arguments(string outDir) => ["train", "--end-to-end", "--config", config, "--cohort", cohort, "--patches", TestPaths.DemoLabels,
            "--max-patients", "12", "--allow-missing", "--out", outDir];
        var reference = Path.Combine(dir, "reference");
        Run(null, Arguments(reference));
        var expected = Contents(reference);
        Assert.Contains("model.safetensors", expected.Keys);
        Assert.False(Directory.Exists(Path.Combine(dir, ".reference.checkpoints")), "a finished run leaves its checkpoints behind");
        // Inside the first checkpoint (written, not yet committed: the rerun starts over), and in the second phase after
        // the step-2 checkpoint (resumed with the first phase's optimizer left behind, the second's fresh).
        foreach (var (point, resumesAfter) in new[] { ("checkpoint.written#1", 0), ("train.step#4", 2) })
        {
            var outDir = Path.Combine(dir, point.Replace('#', '-'));
            Assert.Equal(Killed, Run(point, Arguments(outDir)));
            Assert.False(Directory.Exists(outDir), $"{point}: a killed run published its model");
            var rerun = HistoprogProcess.RunAsync(Arguments(outDir), null).GetAwaiter().GetResult();
            Assert.True(rerun.Code == 0, rerun.Out + rerun.Err);
            // Bytes equal to the reference prove nothing if the rerun started over: it must resume where the checkpoint was.
            if (resumesAfter > 0) Assert.Contains($"after step {resumesAfter}", rerun.Out + rerun.Err);
            else Assert.DoesNotContain("resuming from", rerun.Out + rerun.Err);
            var actual = Contents(outDir);
            Assert.Equal(expected.Keys, actual.Keys);
            foreach (var (file, bytes) in expected)
                Assert.True(bytes.AsSpan().SequenceEqual(actual[file]), $"killed at {point}: {file} differs from the uninterrupted run");
            TestPaths.TryDelete(outDir);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir, ".*", SearchOption.TopDirectoryOnly));
        TestPaths.TryDelete(dir);
    }

    [Fact]
    public void RunKilledInFinetuningOrExtractionResumesToTheSameResults()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = Path.Combine(dir, "run.yaml");
        File.WriteAllText(config, $"""
            seed: 6
            input:
              patches: {TestPaths.DemoLabels}
              simulate_follow_up: true
              max_patients: 24
            features: {"{"}image_size: 32, cache: cache{"}"}
            finetune: {"{"}enabled: true, batch_size: 6, head_only_steps: 2, full_steps: 4, evaluate_every: 2{"}"}
            model:
              mil: {"{"}epochs: 10{"}"}
            evaluation: {"{"}protocol: holdout, bootstrap_samples: 20{"}"}
            """);
        int RunInto(string outDir, string? crashAt) => Run(crashAt, "run", config, "--out", outDir);
        var reference = Path.Combine(dir, "reference");
        RunInto(reference, null);
        string[] compared = ["results.json", Path.Combine("main", "predict", "risks.csv"), Path.Combine("main", "finetune", "model.safetensors")];
        // Each killed run extracts into its own cache, so the kill lands in extraction, not in a cache hit.
        foreach (var point in new[] { "train.step#3", "features.written#5" })
        {
            var outDir = Path.Combine(dir, point.Replace('#', '-'));
            File.WriteAllText(config, File.ReadAllText(config).Replace("cache: cache", $"cache: cache-{point.Replace('#', '-')}"));
            Assert.Equal(Killed, RunInto(outDir, point));
            Assert.False(File.Exists(Path.Combine(outDir, "results.json")));
            RunInto(outDir, null);
            foreach (var file in compared)
                Assert.True(File.ReadAllBytes(Path.Combine(reference, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(outDir, file))),
                    $"killed at {point}: {file} differs from the uninterrupted run");
            // The staging folder the killed process left is gone, and no claim is left behind.
            Assert.Empty(Directory.EnumerateFileSystemEntries(outDir, "*.partial-*", SearchOption.AllDirectories));
            Assert.Empty(Directory.EnumerateFiles(dir, "*.lock", SearchOption.AllDirectories));
            File.WriteAllText(config, File.ReadAllText(config).Replace($"cache: cache-{point.Replace('#', '-')}", "cache: cache"));
            TestPaths.TryDelete(outDir);
        }
        TestPaths.TryDelete(dir);
    }
}
