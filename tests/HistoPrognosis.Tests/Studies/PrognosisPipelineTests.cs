using System.CommandLine;
using System.Globalization;
using HistoPrognosis.Cli;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Models;
using PureHDF;

namespace HistoPrognosis.Tests.Studies;

/// <summary>Shared for the class: a cohort simulated from the embedded IDC patients and one feature cache (extracted once).</summary>
public sealed class PrognosisFixture
{
    public PrognosisFixture()
    {
        Directory = TestPaths.NewTempDirectory();
        Cohort = Path.Combine(Directory, "cohort.csv");
        Cache = Path.Combine(Directory, "cache");
        // A patch table without labels: training and prediction must not need them.
        var table = CsvTable.Read(TestPaths.DemoLabels);
        var root = Path.GetDirectoryName(TestPaths.DemoLabels)!;
        Patches = Path.Combine(Directory, "patches.csv");
        File.WriteAllLines(Patches, ["path,patient_id,x,y", .. table.Rows.Select(r =>
            $"{Path.Combine(root, r.Fields[0])},{r.Fields[1]},{r.Fields[3]},{r.Fields[4]}")]);
    }

    public string Directory { get; }
    public string Cohort { get; }
    public string Cache { get; }
    public string Patches { get; }
}

[Collection(TorchCollection.Name)]
public sealed class PrognosisPipelineTests(PrognosisFixture fixture) : IClassFixture<PrognosisFixture>
{
    internal static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var originalError = Console.Error;
        int exit;
        try
        {
            var root = CliApp.BuildRoot();
            exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (UserInputException ex)
        {
            return (2, output.ToString(), ex.Message);
        }
        return (exit, output.ToString(), error.ToString());
    }

    private string Simulate()
    {
        if (!File.Exists(fixture.Cohort))
            Assert.Equal(0, Run("simulate", "--patches", TestPaths.DemoLabels, "--seed", "3", "--out", fixture.Cohort).Exit);
        return fixture.Cohort;
    }

    private string[] Train(string aggregator, string loss, string output, params string[] extra) =>
        ["train", "--cohort", Simulate(), "--patches", fixture.Patches, "--backbone", "scratch", "--image-size", "32",
         "--aggregator", aggregator, "--loss", loss, "--epochs", "6", "--feature-cache", fixture.Cache, "--out", output, .. extra];

    [Fact]
    public void TrainPredictEvaluateEndToEnd()
    {
        var model = Path.Combine(fixture.Directory, "model-abmil");
        var (exit, output, error) = Run(Train("abmil", "cox", model, "--clinical", "age", "--fusion", "gated"));
        Assert.True(exit == 0, error);
        Assert.Contains("kept epoch", output);
        Assert.True(File.Exists(Path.Combine(model, "model.json")) && File.Exists(Path.Combine(model, "network.safetensors")));

        // Predict on a cohort without follow-up or ground truth.
        var bare = Path.Combine(fixture.Directory, "bare.csv");
        var cohort = Cohort.Load(fixture.Cohort, requireOutcome: true);
        File.WriteAllLines(bare, ["patient_id,age", .. cohort.Patients.Take(12).Select(p => $"{p.PatientId},{p.Columns["age"]}")]);
        var risks = Path.Combine(fixture.Directory, "risks-bare.csv");
        (exit, _, error) = Run("predict", "--model", model, "--cohort", bare, "--patches", fixture.Patches, "--feature-cache", fixture.Cache, "--out", risks);
        Assert.True(exit == 0, error);
        var rows = CsvTable.Read(risks);
        // The Cox head's survival curve every 6 months follows p_event_5y; its last point is 1 − p_event_5y.
        Assert.Equal(["patient_id", "risk", "p_event_5y", "s_6m", "s_12m", "s_18m", "s_24m", "s_30m", "s_36m", "s_42m", "s_48m", "s_54m", "s_60m"], rows.Headers);
        Assert.Equal(12, rows.Rows.Count);
        Assert.All(Enumerable.Range(0, 12), r => Assert.InRange(rows.Number(r, 2), 0, 1));
        Assert.All(Enumerable.Range(0, 12), r => Assert.Equal(1 - rows.Number(r, 2), rows.Number(r, 12), 9));
        Assert.All(Enumerable.Range(0, 12), r => Assert.All(Enumerable.Range(4, 9), c => Assert.True(rows.Number(r, c) <= rows.Number(r, c - 1))));
        // The resolved config beside the table: the cohort it was run on, every default written out.
        var resolved = File.ReadAllText(Path.Combine(fixture.Directory, "risks-bare.run-config.yaml"));
        Assert.Contains($"cohort: \"{bare}\"", resolved);
        Assert.Contains("max_patients: 0", resolved);

        // Full cohort, then evaluate with references.
        var allRisks = Path.Combine(fixture.Directory, "risks.csv");
        Assert.Equal(0, Run("predict", "--model", model, "--cohort", fixture.Cohort, "--patches", fixture.Patches, "--feature-cache", fixture.Cache, "--out", allRisks).Exit);
        var evaluation = Path.Combine(fixture.Directory, "evaluation");
        (exit, output, error) = Run("evaluate", "--cohort", fixture.Cohort, "--risks", allRisks, "--out", evaluation, "--bootstrap", "50");
        Assert.True(exit == 0, error);
        Assert.Contains("oracle", output);
        foreach (var file in new[] { "results.json", "summary.md", "km.svg" }) Assert.True(File.Exists(Path.Combine(evaluation, file)), file);
        var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(evaluation, "results.json"))).RootElement;
        double c = results.GetProperty("harrell_c").GetProperty("value").GetDouble();
        var time = cohort.Time;
        var risk = Enumerable.Range(0, rows.Rows.Count).Select(_ => 0.0).ToArray();
        var predicted = CsvTable.Read(allRisks);
        var byId = Enumerable.Range(0, predicted.Rows.Count).ToDictionary(r => predicted.Text(r, 0), r => predicted.Number(r, 1));
        Assert.Equal(HistoPrognosis.Survival.Concordance.Harrell(time, cohort.Events, cohort.Patients.Select(p => byId[p.PatientId]).ToArray()).Value, c, 12);
        Assert.Equal(HistoPrognosis.Survival.Concordance.Harrell(time, cohort.Events, cohort.OptionalNumbers("eta")!).Value,
            results.GetProperty("reference_c").GetProperty("oracle").GetDouble(), 12);
        Assert.Contains("<path", File.ReadAllText(Path.Combine(evaluation, "km.svg")));
    }

    [Theory]
    [InlineData("mean", "nll")]
    [InlineData("max", "binary5y")]
    [InlineData("clam", "cox")]
    [InlineData("transmil", "nll")]
    public void EveryAggregatorAndLossTrainsAndPredictsFiniteRisks(string aggregator, string loss)
    {
        var model = Path.Combine(fixture.Directory, $"model-{aggregator}-{loss}");
        var (exit, _, error) = Run(Train(aggregator, loss, model));
        Assert.True(exit == 0, error);
        var risks = Path.Combine(fixture.Directory, $"risks-{aggregator}-{loss}.csv");
        Assert.Equal(0, Run("predict", "--model", model, "--cohort", fixture.Cohort, "--patches", fixture.Patches, "--feature-cache", fixture.Cache, "--out", risks).Exit);
        var table = CsvTable.Read(risks);
        Assert.Equal(60, table.Rows.Count);
        var values = Enumerable.Range(0, 60).Select(r => table.Number(r, 1)).ToArray();
        Assert.True(values.Distinct().Count() > 10, "risks should differ between patients");
    }

    [Fact]
    public void FeatureCacheIsReusedAndKeyedBySettings()
    {
        var table = PatchTable.Load(fixture.Patches, requireLabel: false);
        var patients = table.PatientIds.Take(2).ToList();
        using var backbone = BackboneFactory.Create("scratch", 7);
        var root = Path.Combine(fixture.Directory, "cache-keys");
        var device = TorchSharp.torch.CPU;
        var settings = FeatureSettings.Of("scratch", backbone, 32, TorchSharp.torch.CPU, FeatureEngineKind.Auto);
        Assert.Equal(FeatureEngineKind.OneDnn, settings.Engine); // Auto at 32 px
        var cache = new FeatureCache(root, PipelineLog.Silent);
        var first = cache.Get(table, patients, new Lazy<Backbone>(() => backbone), settings, device);
        Assert.Equal(2, cache.Extracted);
        var second = cache.Get(table, patients, new Lazy<Backbone>(() => throw new InvalidOperationException("must not extract again")), settings, device);
        Assert.Equal(2, cache.Reused);
        Assert.Equal(first[0].Features[3], second[0].Features[3]);

        // CLAM/TRIDENT layout.
        var file = Directory.GetFiles(cache.FolderFor(settings), "*.h5").Order().First();
        using (var h5 = H5File.OpenRead(file))
        {
            var dims = h5.Dataset("features").Space.Dimensions;
            Assert.Equal(512UL, dims[1]);
            Assert.Equal(new ulong[] { dims[0], 2 }, h5.Dataset("coords").Space.Dimensions);
        }
        Assert.True(first[0].Coords[0, 0] >= 0); // x, y from the table

        // Another image size or other weights: a different key, so nothing stale is read.
        var bigger = FeatureSettings.Of("scratch", backbone, 48, TorchSharp.torch.CPU, FeatureEngineKind.Auto);
        Assert.NotEqual(settings.Key, bigger.Key);
        using var other = BackboneFactory.Create("scratch", 8);
        Assert.NotEqual(settings.Key, FeatureSettings.Of("scratch", other, 32, TorchSharp.torch.CPU, FeatureEngineKind.Auto).Key);
        // Another engine: engines agree only to float32 rounding, so their files are kept apart.
        Assert.NotEqual(settings.Key, FeatureSettings.Of("scratch", backbone, 32, TorchSharp.torch.CPU, FeatureEngineKind.TorchSharp).Key);
        // A file made from another patch list is not reused.
        var fewer = new PatchTable[] { table }.Select(t => t.Subset(patients)).Single();
        Assert.Null(FeatureFile.TryRead(file, patients[0], settings.Key, "another-patch-list"));
        Assert.NotNull(fewer);
    }

    [Fact]
    public void ChunkedExtractionGivesEachPatientItsOwnFeatures()
    {
        // All embedded patients: more patches than one decode chunk, so chunks are decoded while others are extracted.
        var table = PatchTable.Load(fixture.Patches, requireLabel: false);
        Assert.True(table.Patches.Count > 2048, $"only {table.Patches.Count} patches: too few to span chunks");
        using var backbone = BackboneFactory.Create("scratch", 7);
        var settings = FeatureSettings.Of("scratch", backbone, 32, TorchSharp.torch.CPU, FeatureEngineKind.Auto);
        Assert.Equal(FeatureEngineKind.OneDnn, settings.Engine); // Auto at 32 px
        var cache = new FeatureCache(Path.Combine(fixture.Directory, "cache-chunks"), PipelineLog.Silent);
        var all = cache.Get(table, table.PatientIds, new Lazy<Backbone>(() => backbone), settings, TorchSharp.torch.CPU);
        Assert.Equal(table.PatientIds.Count, cache.Extracted);
        foreach (var k in new[] { 0, table.PatientIds.Count / 2, table.PatientIds.Count - 1 })
        {
            var id = table.PatientIds[k];
            using var alone = PatchDataset.Load(table.Patches.Where(p => p.PatientId == id).ToList(), 32, PipelineLog.Silent);
            float[][] direct;
            using (var engine = FeatureEngine.Create(settings.Engine, backbone, TorchSharp.torch.CPU))
                direct = FeatureExtractor.Extract(engine, backbone, alone, TorchSharp.torch.CPU, PipelineLog.Silent, "direct");
            var cached = all[k];
            Assert.Equal(id, cached.PatientId);
            Assert.Equal(direct.Length, cached.Features.Length);
            for (int i = 0; i < direct.Length; i++)
                for (int j = 0; j < direct[i].Length; j += 37) Assert.Equal(direct[i][j], cached.Features[i][j], 4);
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var model = Path.Combine(fixture.Directory, "never");
        var (exit, _, error) = Run(Train("attention", "cox", model));
        Assert.Equal(2, exit);
        Assert.Contains("--aggregator: 'attention' is not one of mean | max | abmil | clam | transmil", error);
        Assert.False(Directory.Exists(model));

        (exit, _, error) = Run(Train("mean", "cox", model, "--clinical", "tumour_burden"));
        Assert.Equal(2, exit);
        Assert.Contains("ground-truth", error);

        // A cohort patient with no patches: named, unless --allow-missing.
        var cohort = Path.Combine(fixture.Directory, "with-ghost.csv");
        File.WriteAllText(cohort, File.ReadAllText(Simulate()) + "ghost,30,1,60,0.5,0.1\n");
        (exit, _, error) = Run(["train", "--cohort", cohort, .. Train("mean", "cox", model)[3..]]);
        Assert.Equal(2, exit);
        Assert.Contains("ghost (row 62)", error);
        Assert.Contains("--allow-missing", error);
        Assert.False(Directory.Exists(model));

        // Predict with a model trained on clinical columns the cohort lacks.
        var clinicalModel = Path.Combine(fixture.Directory, "model-clinical");
        Assert.Equal(0, Run(Train("mean", "cox", clinicalModel, "--clinical", "age")).Exit);
        var bare = Path.Combine(fixture.Directory, "no-age.csv");
        File.WriteAllLines(bare, ["patient_id", "10256"]);
        var risks = Path.Combine(fixture.Directory, "never.csv");
        (exit, _, error) = Run("predict", "--model", clinicalModel, "--cohort", bare, "--patches", fixture.Patches, "--feature-cache", fixture.Cache, "--out", risks);
        Assert.Equal(2, exit);
        Assert.Contains("clinical column 'age' is missing", error);
        Assert.False(File.Exists(risks));

        (exit, _, error) = Run("predict", "--model", fixture.Directory, "--cohort", bare, "--patches", fixture.Patches, "--out", risks);
        Assert.Equal(2, exit);
        Assert.Contains("not a model directory", error);
    }
}
