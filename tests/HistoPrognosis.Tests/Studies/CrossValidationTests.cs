using System.Text.Json;
using HistoPrognosis.Data;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Tests.Studies;

/// <summary><c>histoprog extract</c> and <c>histoprog crossval</c> on the embedded IDC patients (scratch backbone, 32 px).</summary>
[Collection(TorchCollection.Name)]
public sealed class CrossValidationTests(PrognosisFixture fixture) : IClassFixture<PrognosisFixture>
{
    private static (int Exit, string Output, string Error) Run(params string[] args) => PrognosisPipelineTests.Run(args);

    private string Simulate()
    {
        if (!File.Exists(fixture.Cohort))
            Assert.Equal(0, Run("simulate", "--patches", TestPaths.DemoLabels, "--seed", "3", "--out", fixture.Cohort).Exit);
        return fixture.Cohort;
    }

    [Fact]
    public void ExtractReusesTheCacheAndReextractsWhenTheImageSizeChanges()
    {
        var cache = Path.Combine(fixture.Directory, "extract-cache");
        string[] Extract(int size) => ["extract", "--patches", fixture.Patches, "--backbone", "scratch", "--image-size", size.ToString(), "--feature-cache", cache];
        int patients = CsvTable.Read(fixture.Patches).Rows.Select(r => r.Fields[1]).Distinct().Count();

        var (exit, output, error) = Run(Extract(32));
        Assert.True(exit == 0, error);
        Assert.Contains($"{patients} patients: {patients} extracted, 0 reused", output);
        var files = Directory.GetFiles(cache, "*.h5", SearchOption.AllDirectories);
        Assert.Equal(patients, files.Length);
        var stamps = files.ToDictionary(f => f, File.GetLastWriteTimeUtc);

        (exit, output, error) = Run(Extract(32));
        Assert.True(exit == 0, error);
        Assert.Contains($"{patients} patients: 0 extracted, {patients} reused", output);
        Assert.All(stamps, kv => Assert.Equal(kv.Value, File.GetLastWriteTimeUtc(kv.Key)));

        (exit, output, error) = Run(Extract(40));
        Assert.True(exit == 0, error);
        Assert.Contains($"{patients} patients: {patients} extracted, 0 reused", output);
        Assert.Equal(2 * patients, Directory.GetFiles(cache, "*.h5", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void BadArgumentsFailBeforeAnythingIsWritten()
    {
        var output = Path.Combine(fixture.Directory, "cv-bad");
        string[] Args(params string[] extra) => ["crossval", "--cohort", Simulate(), "--patches", fixture.Patches, "--backbone", "scratch",
            "--image-size", "32", "--feature-cache", Path.Combine(fixture.Directory, "cache"), "--out", output, .. extra];
        var (exit, _, error) = Run(Args("--folds", "1"));
        Assert.Equal(2, exit);
        Assert.Contains("--folds", error);
        (exit, _, error) = Run(Args("--aggregators", "mean,attention"));
        Assert.Equal(2, exit);
        Assert.Contains("attention", error);
        (exit, _, error) = Run(Args("--folds", "100"));
        Assert.Equal(2, exit);
        Assert.Contains("100-fold", error);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void CrossvalPredictsEveryPatientOnceAndReportsConsistentCIndices()
    {
        var output = Path.Combine(fixture.Directory, "cv");
        var (exit, stdout, error) = Run("crossval", "--cohort", Simulate(), "--patches", fixture.Patches, "--backbone", "scratch", "--image-size", "32",
            "--aggregators", "mean,abmil", "--loss", "cox", "--folds", "2", "--epochs", "5", "--clinical", "age", "--bootstrap", "50",
            "--feature-cache", Path.Combine(fixture.Directory, "cache"), "--out", output);
        Assert.True(exit == 0, error);
        Assert.Contains("oracle", stdout);
        foreach (var file in new[] { "crossval.json", "table.md", "oof-risks.csv" }) Assert.True(File.Exists(Path.Combine(output, file)), file);

        var cohort = Cohort.Load(fixture.Cohort, requireOutcome: true);
        var oof = CsvTable.Read(Path.Combine(output, "oof-risks.csv"));
        string[] arms = ["mean", "mean+clinical", "abmil", "abmil+clinical", "clinical-cox"];
        Assert.Equal(["patient_id", "fold", .. arms.Select(a => "risk_" + a.Replace('+', '_'))], oof.Headers);
        var ids = Enumerable.Range(0, oof.Rows.Count).Select(r => oof.Text(r, 0)).ToList();
        Assert.Equal(cohort.Patients.Select(p => p.PatientId).Order(), ids.Order());
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var folds = Enumerable.Range(0, oof.Rows.Count).Select(r => (int)oof.Number(r, 1)).ToArray();
        Assert.Equal([1, 2], folds.Distinct().Order());

        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "crossval.json"))).RootElement;
        Assert.Equal(cohort.Patients.Count, json.GetProperty("patients").GetInt32());
        Assert.Equal(2, json.GetProperty("folds").GetInt32());
        Assert.Equal(cohort.Patients.Count, json.GetProperty("fold_sizes").EnumerateArray().Sum(e => e.GetInt32()));
        Assert.True(json.GetProperty("reference_c").TryGetProperty("oracle", out _));
        var jsonArms = json.GetProperty("arms").EnumerateArray().ToList();
        Assert.Equal(arms, jsonArms.Select(a => a.GetProperty("name").GetString()));
        var time = cohort.Time;
        var events = cohort.Events;
        var row = ids.Select((id, r) => (id, r)).ToDictionary(x => x.id, x => x.r);
        for (int a = 0; a < arms.Length; a++)
        {
            var arm = jsonArms[a];
            Assert.Equal(2, arm.GetProperty("folds").GetArrayLength());
            foreach (var f in arm.GetProperty("folds").EnumerateArray())
            {
                Assert.InRange(f.GetProperty("harrell_c").GetDouble(), 0, 1);
                Assert.InRange(f.GetProperty("uno_c").GetDouble(), 0, 1);
            }
            foreach (var name in new[] { "harrell_mean", "harrell_sd", "uno_mean", "uno_sd" }) Assert.True(double.IsFinite(arm.GetProperty(name).GetDouble()), name);
            var pooled = arm.GetProperty("pooled_harrell");
            double c = pooled.GetProperty("value").GetDouble();
            Assert.InRange(c, 0, 1);
            Assert.InRange(pooled.GetProperty("lower").GetDouble(), 0, c);
            Assert.InRange(pooled.GetProperty("upper").GetDouble(), c, 1);
            Assert.InRange(arm.GetProperty("pooled_uno").GetProperty("value").GetDouble(), 0, 1);
            // The pooled C is the C-index of the out-of-fold risks written beside it, and the fold C of fold 1 that of its patients.
            var risk = cohort.Patients.Select(p => oof.Number(row[p.PatientId], 2 + a)).ToArray();
            Assert.Equal(Concordance.Harrell(time, events, risk).Value, c, 12);
            var first = Enumerable.Range(0, time.Length).Where(i => folds[row[cohort.Patients[i].PatientId]] == 1).ToArray();
            Assert.Equal(Concordance.Harrell(first.Select(i => time[i]).ToArray(), first.Select(i => events[i]).ToArray(), first.Select(i => risk[i]).ToArray()).Value,
                arm.GetProperty("folds")[0].GetProperty("harrell_c").GetDouble(), 12);
        }
        Assert.Contains("| abmil+clinical | both |", File.ReadAllText(Path.Combine(output, "table.md")));
    }

    [Fact]
    public void CompareBackboneTrainsEveryImageArmOnBothFeatureSetsAndPairsTheDifference()
    {
        var output = Path.Combine(fixture.Directory, "cv-compare");
        var (exit, stdout, error) = Run("crossval", "--cohort", Simulate(), "--patches", fixture.Patches, "--backbone", "scratch", "--image-size", "32",
            "--compare-backbone", "resnet18", "--aggregators", "mean", "--folds", "2", "--epochs", "5", "--bootstrap", "50",
            "--feature-cache", Path.Combine(fixture.Directory, "cache"), "--out", output);
        Assert.True(exit == 0, error);
        Assert.Contains("scratch − resnet18", stdout);

        var cohort = Cohort.Load(fixture.Cohort, requireOutcome: true);
        var oof = CsvTable.Read(Path.Combine(output, "oof-risks.csv"));
        Assert.Equal(["patient_id", "fold", "risk_mean", "risk_mean@resnet18"], oof.Headers);
        var row = Enumerable.Range(0, oof.Rows.Count).ToDictionary(r => oof.Text(r, 0));
        double C(int column) => Concordance.Harrell(cohort.Time, cohort.Events, cohort.Patients.Select(p => oof.Number(row[p.PatientId], column)).ToArray()).Value;

        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "crossval.json"))).RootElement;
        Assert.Equal("resnet18", json.GetProperty("comparison_backbone").GetString());
        var comparison = Assert.Single(json.GetProperty("backbone_comparisons").EnumerateArray().ToList());
        Assert.Equal("mean", comparison.GetProperty("model").GetString());
        double main = comparison.GetProperty("main_c").GetDouble(), other = comparison.GetProperty("comparison_c").GetDouble();
        Assert.Equal(C(2), main, 12);
        Assert.Equal(C(3), other, 12);
        var difference = comparison.GetProperty("difference");
        Assert.Equal(main - other, difference.GetProperty("value").GetDouble(), 12);
        Assert.InRange(difference.GetProperty("value").GetDouble(), difference.GetProperty("lower").GetDouble(), difference.GetProperty("upper").GetDouble());
        Assert.Contains("| mean | image |", File.ReadAllText(Path.Combine(output, "table.md")));

        (exit, _, error) = Run("crossval", "--cohort", Simulate(), "--patches", fixture.Patches, "--backbone", "scratch", "--compare-backbone", "scratch",
            "--out", Path.Combine(fixture.Directory, "cv-compare-same"));
        Assert.Equal(2, exit);
        Assert.Contains("--compare-backbone", error);
        Assert.False(Directory.Exists(Path.Combine(fixture.Directory, "cv-compare-same")));
    }
}
