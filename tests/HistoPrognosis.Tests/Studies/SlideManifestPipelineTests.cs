using HistoPrognosis.Data;

namespace HistoPrognosis.Tests.Studies;

/// <summary><c>--slides</c>: train and predict straight from a slide manifest, the slide stage tiling it first.</summary>
[Collection(TorchCollection.Name)]
public sealed class SlideManifestPipelineTests
{
    private static (int Exit, string Output, string Error) Run(params string[] args) => PrognosisPipelineTests.Run(args);

    [Fact]
    public void TrainAndPredictFromASlideManifest()
    {
        var dir = TestPaths.NewTempDirectory();
        var slide = Path.Combine(dir, "slide.svs");
        File.Copy(TestPaths.Fixture("wsi", "CMU-1-Small-Region.svs"), slide);
        // Four patients sharing one real slide (the prognosis stages only need patches per patient); two events.
        var manifest = Path.Combine(dir, "slides.csv");
        File.WriteAllLines(manifest, ["patient_id,slide_path", "A,slide.svs", "B,slide.svs", "C,slide.svs", "D,slide.svs"]);
        var cohort = Path.Combine(dir, "cohort.csv");
        File.WriteAllLines(cohort, ["patient_id,time_months,event", "A,10,1", "B,40,0", "C,25,1", "D,70,0"]);
        string[] Slides(string tiles) => ["--slides", manifest, "--tiles", tiles, "--mpp", "2", "--tile-size", "64", "--feature-cache", Path.Combine(dir, "cache")];

        // A slide listed twice is refused, naming the manifest row.
        var (exit, _, error) = Run(["train", "--cohort", cohort, .. Slides(Path.Combine(dir, "tiles")), "--backbone", "scratch", "--image-size", "32", "--out", Path.Combine(dir, "model")]);
        Assert.Equal(2, exit);
        Assert.Contains("row 3", error);
        Assert.False(Directory.Exists(Path.Combine(dir, "model")));

        for (int i = 1; i <= 4; i++) File.Copy(slide, Path.Combine(dir, $"s{i}.svs"));
        File.WriteAllLines(manifest, ["patient_id,slide_path", "A,s1.svs", "B,s2.svs", "C,s3.svs", "D,s4.svs"]);
        var model = Path.Combine(dir, "model");
        (exit, _, error) = Run(["train", "--cohort", cohort, .. Slides(Path.Combine(dir, "tiles")), "--backbone", "scratch", "--image-size", "32",
            "--aggregator", "mean", "--epochs", "3", "--out", model]);
        Assert.True(exit == 0, error);
        var tiles = PatchTable.Load(Path.Combine(dir, "tiles", "patches.csv"), requireLabel: false);
        Assert.Equal(["A", "B", "C", "D"], tiles.PatientIds);
        Assert.True(tiles.Patches.Count >= 4 * 5, $"only {tiles.Patches.Count} tiles");

        var risks = Path.Combine(dir, "risks.csv");
        (exit, _, error) = Run(["predict", "--model", model, "--cohort", cohort, .. Slides(Path.Combine(dir, "tiles")), "--out", risks]);
        Assert.True(exit == 0, error);
        var table = CsvTable.Read(risks);
        Assert.Equal(["A", "B", "C", "D"], Enumerable.Range(0, table.Rows.Count).Select(r => table.Text(r, 0)));
        // The same slide for every patient: the same features, so the same risk.
        Assert.Single(Enumerable.Range(0, table.Rows.Count).Select(r => table.Number(r, 1)).Distinct());

        (exit, _, error) = Run(["predict", "--model", model, "--cohort", cohort, "--patches", Path.Combine(dir, "tiles", "patches.csv"), .. Slides(Path.Combine(dir, "tiles")), "--out", risks + "2"]);
        Assert.Equal(2, exit);
        Assert.Contains("exactly one of --patches", error);
        (exit, _, error) = Run("predict", "--model", model, "--cohort", cohort, "--out", risks + "3");
        Assert.Equal(2, exit);
        Assert.Contains("exactly one of --patches", error);
    }
}
