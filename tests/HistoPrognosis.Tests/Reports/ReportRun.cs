using HistoPrognosis.Tests.Studies;

namespace HistoPrognosis.Tests.Reports;

/// <summary>
/// One small real holdout run (24 of the embedded patients, simulated follow-up, scratch backbone at 32 px, 5 epochs)
/// made once per test process and shared by the report tests, which each work on a copy of it.
/// </summary>
public static class ReportRun
{
    private static readonly Lazy<string> Folder = new(Make, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The finished run's folder (do not change it: copy it with <see cref="Copy"/>).</summary>
    public static string Directory => Folder.Value;

    public const int TestPatients = 7; // 30% of 24, as the stratified split rounds it

    /// <summary>A private copy of the run for a test that adds to it.</summary>
    public static string Copy()
    {
        var target = Path.Combine(TestPaths.NewTempDirectory(), "run");
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Directory, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }

    private static string Make()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = Path.Combine(dir, "run.yaml");
        File.WriteAllText(config, $"""
            seed: 4
            input:
              patches: {TestPaths.DemoLabels}
              simulate_follow_up: true
              max_patients: 24
            features: {"{"}backbone: scratch, image_size: 32, cache: cache{"}"}
            model:
              mil: {"{"}epochs: 5{"}"}
            evaluation: {"{"}protocol: holdout, bootstrap_samples: 20{"}"}
            """);
        var outDir = Path.Combine(dir, "out");
        var (exit, _, error) = PrognosisPipelineTests.Run("run", config, "--out", outDir);
        Assert.True(exit == 0, error);
        return outDir;
    }
}
