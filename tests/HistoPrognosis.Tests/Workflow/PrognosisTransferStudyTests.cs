using System.Text.Json;
using HistoPrognosis.Data;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Tests.Workflow;

/// <summary><c>histoprog study prognosis-transfer</c> on a tiny budget of the embedded real patches and a simulated cohort.</summary>
public sealed class PrognosisTransferStudyTests
{
    private static string Config(string dir)
    {
        var path = Path.Combine(dir, "study.yaml");
        File.WriteAllText(path, $"""
            features: {"{"}image_size: 32, cache: {Path.Combine(dir, "cache")}{"}"}
            finetune:
              head_only_steps: 1
              full_steps: 2
              evaluate_every: 1
              end_to_end: {"{"}patients_per_batch: 4, patches_per_patient: 3, validation_fraction: 0.3{"}"}
            model:
              mil: {"{"}epochs: 5{"}"}
            evaluation: {"{"}bootstrap_samples: 40, min_patients: 5, min_events: 2{"}"}
            """);
        return path;
    }

    [Fact]
    public void EveryArmIsScoredOnTheSameUnseenPatientsAndComparedWithScratch()
    {
        var dir = TestPaths.NewTempDirectory();
        var cohortPath = Path.Combine(dir, "cohort.csv");
        Assert.Equal(0, HistoprogProcess.Run("simulate", "--patches", TestPaths.DemoLabels, "--seed", "3", "--out", cohortPath).Code);
        var outDir = Path.Combine(dir, "study");
        var result = HistoprogProcess.RunAsync(["study", "prognosis-transfer", "--config", Config(dir), "--cohort", cohortPath, "--patches", TestPaths.DemoLabels,
            "--sizes", "20", "--repeats", "1", "--arms", "frozen-mil,end-to-end-discriminative,patch-finetuned-mil,scratch-end-to-end,end-to-end-lora", "--out", outDir], timeoutSeconds: 600).GetAwaiter().GetResult();
        Assert.True(result.Code == 0, result.Err);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "study.json")));
        var testIds = json.RootElement.GetProperty("test_patients").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var cohort = Cohort.Load(cohortPath, requireOutcome: true);
        Assert.Equal(20, testIds.Length); // one of round(1 / 0.3) = 3 folds stratified by event
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["scratch-end-to-end", "frozen-mil", "end-to-end-discriminative", "patch-finetuned-mil", "end-to-end-lora"], runs.Select(r => r.GetProperty("arm").GetString()));

        // Each run's Harrell C is the C of its own test risks (written to test-risks.csv) against the cohort's follow-up,
        // and its paired difference is the difference of the two C-indices on the same patients.
        var test = cohort.Subset(testIds);
        var rows = CsvTable.Read(Path.Combine(outDir, "test-risks.csv"));
        Assert.Equal(5 * testIds.Length, rows.Rows.Count);
        var c = new Dictionary<string, double>();
        foreach (var run in runs)
        {
            var arm = run.GetProperty("arm").GetString()!;
            var risks = Enumerable.Range(0, rows.Rows.Count).Where(r => rows.Text(r, 1) == arm).ToDictionary(r => rows.Text(r, 0), r => rows.Number(r, 4));
            var order = test.Patients.Select(p => risks[p.PatientId]).ToArray();
            c[arm] = Concordance.Harrell(test.Time, test.Events, order).Value;
            Assert.Equal(c[arm], run.GetProperty("harrell_c").GetDouble(), 9);
            Assert.InRange(run.GetProperty("training_harrell_c").GetDouble(), 0, 1);
        }
        foreach (var run in runs.Skip(1))
            Assert.Equal(c[run.GetProperty("arm").GetString()!] - c["scratch-end-to-end"], run.GetProperty("difference_to_scratch").GetDouble(), 9);
        Assert.True(runs[2].GetProperty("validation_c_during_training").GetArrayLength() > 0, "end-to-end convergence is recorded");
        // The kept step is the first step of the best validation C (the last step when none is defined); frozen arms have none.
        foreach (var run in runs)
        {
            var kept = run.GetProperty("kept_step");
            if (run.GetProperty("arm").GetString() is "frozen-mil" or "patch-finetuned-mil") { Assert.Equal(JsonValueKind.Null, kept.ValueKind); continue; }
            var curve = run.GetProperty("validation_c_during_training").EnumerateArray()
                .Select(e => (Step: e.GetProperty("step").GetInt32(), C: e.GetProperty("value").GetDouble())).Where(e => double.IsFinite(e.C)).ToList();
            Assert.Equal(curve.Count > 0 ? curve.First(e => e.C == curve.Max(x => x.C)).Step : 3, kept.GetInt32());
            Assert.InRange(run.GetProperty("peak_rss_mb").GetInt64(), 100, 8000);
        }
        // The simulated cohort's oracle (its true linear predictor) on the same test patients, as the ceiling.
        var eta = test.OptionalNumbers("eta")!;
        Assert.Equal(Concordance.Harrell(test.Time, test.Events, eta).Value, json.RootElement.GetProperty("reference_c").GetProperty("oracle").GetDouble(), 9);
        // The frozen features' supervised ceiling (the demo table has patch labels) is a C-index beside it.
        Assert.InRange(json.RootElement.GetProperty("reference_c").GetProperty("patch_probe_frozen").GetDouble(), 0, 1);
        var table = File.ReadAllText(Path.Combine(outDir, "table.md"));
        Assert.Contains("oracle", table);
        Assert.Contains("patch_probe_frozen", table);
        Assert.Contains("| end-to-end-discriminative |", table);
        Assert.Contains("## Step kept by early stopping", table);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, "harrell-c.svg")));
        // Nothing of the runs' models, checkpoints or progress is left beside the output.
        Assert.Equal(["cache", "cohort.csv", "study", "study.yaml"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        TestPaths.TryDelete(dir);
    }

    [Theory]
    [InlineData("--arms", "frozen-mil", "must include scratch-end-to-end")]
    [InlineData("--arms", "scratch-end-to-end,frozn-mil", "did you mean 'frozen-mil'")]
    [InlineData("--sizes", "10,500", "--sizes 500: only 40 patients are left for training")]
    public void BadStudySettingsAreNamed(string flag, string value, string expected)
    {
        var dir = TestPaths.NewTempDirectory();
        var cohortPath = Path.Combine(dir, "cohort.csv");
        Assert.Equal(0, HistoprogProcess.Run("simulate", "--patches", TestPaths.DemoLabels, "--seed", "3", "--out", cohortPath).Code);
        var outDir = Path.Combine(dir, "study");
        var result = HistoprogProcess.Run("study", "prognosis-transfer", "--config", Config(dir), "--cohort", cohortPath, "--patches", TestPaths.DemoLabels, flag, value, "--out", outDir);
        Assert.Equal(2, result.Code);
        Assert.Contains(expected, result.Err);
        Assert.False(Directory.Exists(outDir));
        TestPaths.TryDelete(dir);
    }
}
