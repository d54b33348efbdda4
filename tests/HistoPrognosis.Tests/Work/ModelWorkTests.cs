using HistoPrognosis.Work;

namespace HistoPrognosis.Tests.Work;

/// <summary>
/// The model stages of <c>histoprog work</c> (predict, heatmap) over a shared folder: two static shards merge into
/// the bytes of one <c>histoprog predict</c>; heatmaps are drawn per patient and reused by a rerun; a folder written
/// with another model, or an end-to-end model, is refused before any work. Four patients (the three real slide
/// fixtures and a copy) at 8 µm/px, 32 px tiles, the scratch backbone at 32 px, an ABMIL model of 3 epochs.
/// </summary>
public sealed class ModelWorkTests
{
    private static readonly Lazy<Cohort4> Shared = new(Cohort4.Create);

    /// <summary>The slides, their tiles and features from one worker, a model trained on them, and its predict's risks.csv.</summary>
    private sealed record Cohort4(string Dir, string Config, string Reference, string Model, string Risks)
    {
        public static Cohort4 Create()
        {
            var dir = TestPaths.NewTempDirectory("ModelWork4");
            string[] sources = ["CMU-1-Small-Region.svs", "tcga-cr-7395-01a-01-ts1.svs", "small_dicom_TCGA-XK-AAJU-01A-01-TS1.dcm", "CMU-1-Small-Region.svs"];
            var lines = new List<string> { "patient_id,slide_path,mpp" };
            for (int i = 0; i < sources.Length; i++)
            {
                var name = $"s{i + 1}{Path.GetExtension(sources[i])}";
                File.Copy(TestPaths.Fixture("wsi", sources[i]), Path.Combine(dir, name));
                lines.Add($"P{i + 1},{name},{(sources[i].StartsWith("CMU") ? "" : "0.5")}");
            }
            File.WriteAllLines(Path.Combine(dir, "slides.csv"), lines);
            // The cohort in another order than the manifest: risks.csv follows the cohort, as histoprog predict does.
            File.WriteAllLines(Path.Combine(dir, "cohort.csv"), ["patient_id,time_months,event", "P3,25,1", "P1,10,1", "P4,70,0", "P2,40,0"]);
            var config = Path.Combine(dir, "run.yaml");
            File.WriteAllText(config, "input:\n  slides: slides.csv\n  cohort: cohort.csv\ntiling:\n  target_mpp: 8\n  tile_size: 32\n" +
                                      "features:\n  backbone: scratch\n  image_size: 32\nreport:\n  heatmaps:\n    max_side: 256\n    top_k: 2\n    gallery_cell: 32\n");
            var reference = Path.Combine(dir, "one-worker");
            var r = HistoprogProcess.Run("work", config, "--out", reference);
            Assert.True(r.Code == 0, r.Err);
            Assert.Contains("4 patients: 4 extracted, 0 reused (", r.Out);
            string[] inputs = ["--config", config, "--tiles", Path.Combine(reference, "tiles"), "--feature-cache", Path.Combine(reference, "features")];
            var model = Path.Combine(dir, "model");
            r = HistoprogProcess.Run(["train", .. inputs, "--aggregator", "abmil", "--epochs", "3", "--out", model]);
            Assert.True(r.Code == 0, r.Err);
            var risks = Path.Combine(dir, "predict-risks.csv");
            r = HistoprogProcess.Run(["predict", .. inputs, "--model", model, "--out", risks]);
            Assert.True(r.Code == 0, r.Err);
            return new Cohort4(dir, config, reference, model, risks);
        }
    }

    [Fact]
    public async Task TwoShardsPredictIntoTheSameRisksBytesAsOneHistoprogPredict()
    {
        var c = Shared.Value;
        var output = Path.Combine(c.Dir, "two-shards");
        string[] Worker(int i) => ["work", c.Config, "--out", output, "--model", c.Model, "--stages", "tile,extract,predict", "--shard", $"{i}/2"];
        var results = await Task.WhenAll(HistoprogProcess.RunAsync(Worker(0)), HistoprogProcess.RunAsync(Worker(1)));
        Assert.All(results, r => Assert.True(r.Code == 0, r.Err));
        Assert.All(results, r => Assert.Contains("2 patients: 2 extracted, 0 reused (", r.Out));
        Assert.All(results, r => Assert.Matches(@"predict: 2 predicted, 0 reused → ", r.Out));
        var risks = Path.Combine(output, "predict", "risks.csv");
        Assert.True(File.Exists(risks), string.Join("\n", results.Select(r => r.Out + r.Err)));
        Assert.Equal(File.ReadAllBytes(c.Risks), File.ReadAllBytes(risks));
        Assert.Equal(["patient_id", "P3", "P1", "P4", "P2"], File.ReadAllLines(risks).Select(l => l.Split(',')[0]));
        // Each shard predicted its own two patients (positions 0, 2 and 1, 3 of the manifest).
        var byWorker = WorkFolder.Existing(output).Done(WorkStage.Predict).GroupBy(d => d.Claim.Pid).Select(g => g.Select(d => d.Unit).Order().ToArray()).OrderBy(u => u[0]).ToList();
        Assert.Equal([["P1", "P3"], ["P2", "P4"]], byWorker);

        var status = HistoprogProcess.Run("status", output);
        Assert.True(status.Code == 0, status.Err);
        Assert.Matches(@"predict\s+4\s+0\s+0\s+0", status.Out);
        Assert.DoesNotContain("heatmap", status.Out); // no worker had the heatmap stage
        Assert.Contains($"risks: {risks}", status.Out);
    }

    [Fact]
    public void TheHeatmapStageDrawsEachPatientAndARerunReusesEverything()
    {
        var c = Shared.Value;
        var output = Path.Combine(c.Dir, "heatmaps");
        var first = HistoprogProcess.Run("work", c.Config, "--out", output, "--model", c.Model); // all four stages
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("heatmap: 4 drawn, 0 reused", first.Out);
        Assert.Equal(File.ReadAllBytes(c.Risks), File.ReadAllBytes(Path.Combine(output, "predict", "risks.csv")));
        var p1 = Path.Combine(output, "patient-heatmaps", "P1");
        var summary = HistoPrognosis.Data.CsvTable.Read(Path.Combine(p1, "heatmaps.csv"));
        Assert.Equal("P1", summary.Text(0, 0));
        Assert.Equal("s1.svs", summary.Text(0, 1));
        var slide = Path.Combine(p1, summary.Text(0, 2));
        string[] files = ["tiles.csv", "risk.png", "attention.png", "gallery-risk.png", "gallery-attention.png", "tiles.geojson"];
        foreach (var f in files) Assert.True(File.Exists(Path.Combine(slide, f)), $"{f} missing in {slide}");
        // The patient's tiles are the ones of its features: as many rows as the patient's patch table.
        var patches = HistoPrognosis.Data.CsvTable.Read(Path.Combine(output, "tiles", ".patches-P1.csv")).Rows.Count;
        Assert.Equal(patches, HistoPrognosis.Data.CsvTable.Read(Path.Combine(slide, "tiles.csv")).Rows.Count);
        var written = files.ToDictionary(f => f, f => File.GetLastWriteTimeUtc(Path.Combine(slide, f)));

        var rerun = HistoprogProcess.Run("work", c.Config, "--out", output, "--model", c.Model);
        Assert.True(rerun.Code == 0, rerun.Err);
        Assert.Contains("4 patients: 0 extracted, 4 reused (", rerun.Out);
        Assert.Contains("predict: 0 predicted, 4 reused", rerun.Out);
        Assert.Contains("heatmap: 0 drawn, 4 reused", rerun.Out);
        Assert.All(files, f => Assert.Equal(written[f], File.GetLastWriteTimeUtc(Path.Combine(slide, f))));
        var status = HistoprogProcess.Run("status", output);
        Assert.Matches(@"heatmap\s+4\s+0\s+0\s+0", status.Out);
    }

    [Fact]
    public void AFolderWrittenWithAnotherModelAndAnEndToEndModelAreRefusedBeforeAnyWork()
    {
        var c = Shared.Value;
        var output = Path.Combine(c.Dir, "other-model");
        var first = HistoprogProcess.Run("work", c.Config, "--out", output, "--model", c.Model, "--stages", "tile,extract,predict");
        Assert.True(first.Code == 0, first.Err);
        var units = Directory.GetFiles(Path.Combine(output, "predict", "units")).Order().ToDictionary(f => f, File.ReadAllBytes);
        Assert.Equal(4, units.Count);

        // Another model: the same files with other weights (mean pooling, 2 epochs) in another folder.
        var other = Path.Combine(c.Dir, "model-mean");
        var train = HistoprogProcess.Run("train", "--config", c.Config, "--tiles", Path.Combine(c.Reference, "tiles"), "--feature-cache", Path.Combine(c.Reference, "features"),
            "--aggregator", "mean", "--epochs", "2", "--out", other);
        Assert.True(train.Code == 0, train.Err);
        var r = HistoprogProcess.Run("work", c.Config, "--out", output, "--model", other, "--stages", "predict");
        Assert.Equal(2, r.Code);
        Assert.Contains(Path.Combine(output, ".work", "predict", "settings.json"), r.Err);
        Assert.Contains($"was run with model {c.Model} (key", r.Err);
        Assert.Contains($"this worker has model {other} (key", r.Err);
        Assert.Equal(units.Keys, Directory.GetFiles(Path.Combine(output, "predict", "units")).Order());
        Assert.All(units, u => Assert.Equal(u.Value, File.ReadAllBytes(u.Key)));

        // An end-to-end model is refused before the folder is touched.
        var e2e = Path.Combine(c.Dir, "e2e");
        Directory.CreateDirectory(e2e);
        File.WriteAllText(Path.Combine(e2e, HistoPrognosis.Training.EndToEnd.EndToEndModelFile.ManifestName), "{}");
        var fresh = Path.Combine(c.Dir, "e2e-out");
        r = HistoprogProcess.Run("work", c.Config, "--out", fresh, "--model", e2e);
        Assert.Equal(2, r.Code);
        Assert.Contains("an end-to-end model", r.Err);
        Assert.False(Directory.Exists(fresh));

        // A model stage without a model.
        r = HistoprogProcess.Run("work", c.Config, "--out", fresh, "--stages", "extract,heatmap");
        Assert.Equal(2, r.Code);
        Assert.Contains("--stages heatmap needs --model", r.Err);
    }
}

/// <summary><c>--shard</c> on the batch commands and <c>--model</c> in the Slurm array script.</summary>
public sealed class ShardedBatchTests
{
    [Fact]
    public void TileAndExtractTakeOnlyTheirShard()
    {
        var dir = TestPaths.NewTempDirectory();
        foreach (var name in new[] { "a.svs", "b.svs" }) File.Copy(TestPaths.Fixture("wsi", "CMU-1-Small-Region.svs"), Path.Combine(dir, name));
        var tiles = Path.Combine(dir, "tiles");
        var r = HistoprogProcess.Run("tile", Path.Combine(dir, "a.svs"), Path.Combine(dir, "b.svs"), "--out", tiles, "--mpp", "8", "--tile-size", "32", "--shard", "1/2");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(["b.h5"], Directory.GetFiles(tiles, "*.h5").Select(Path.GetFileName));

        File.WriteAllLines(Path.Combine(dir, "slides.csv"), ["patient_id,slide_path", "P1,a.svs", "P2,b.svs"]);
        string[] extract = ["extract", "--slides", Path.Combine(dir, "slides.csv"), "--tiles", Path.Combine(dir, "slide-tiles"), "--mpp", "8", "--tile-size", "32",
            "--backbone", "scratch", "--image-size", "32", "--feature-cache", Path.Combine(dir, "cache")];
        r = HistoprogProcess.Run([.. extract, "--shard", "0/2"]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("1 patients: 1 extracted, 0 reused (", r.Out);
        r = HistoprogProcess.Run([.. extract, "--shard", "1/2"]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("1 patients: 1 extracted, 0 reused (", r.Out);
        r = HistoprogProcess.Run(extract);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("2 patients: 0 extracted, 2 reused (", r.Out);

        r = HistoprogProcess.Run("tile", Path.Combine(dir, "a.svs"), "--out", tiles, "--shard", "2/2");
        Assert.Equal(2, r.Code);
        Assert.Contains("--shard '2/2'", r.Err);
    }

    [Fact]
    public void ASlurmArrayWithAModelPredictsAndDrawsHeatmaps()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllLines(Path.Combine(dir, "slides.csv"), ["patient_id,slide_path", "P1,a.svs"]);
        var config = Path.Combine(dir, "run.yaml");
        File.WriteAllText(config, "input:\n  slides: slides.csv\n");
        var model = Path.Combine(dir, "model");
        Directory.CreateDirectory(model);
        var output = Path.Combine(dir, "out");
        var r = HistoprogProcess.Run("slurm", "submit", config, "--out", output, "--workers", "2", "--model", model, "--dry-run");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains($"work '{config}' --out '{output}' --model '{model}'\n", r.Out);
        r = HistoprogProcess.Run("slurm", "submit", config, "--out", output, "--workers", "2", "--model", model, "--stages", "predict,extract", "--dry-run");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains($"--model '{model}' --stages 'extract,predict'\n", r.Out);
        r = HistoprogProcess.Run("slurm", "submit", config, "--out", output, "--workers", "2", "--stages", "predict", "--dry-run");
        Assert.Equal(2, r.Code);
        Assert.Contains("--stages predict needs --model", r.Err);
        Assert.False(Directory.Exists(output));
    }
}
