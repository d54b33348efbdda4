using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Models;
using HistoPrognosis.Tiling;
using PureHDF;

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

        // Slide regions go straight into features: no tile image anywhere under the tiles folder.
        Assert.All(tiles.Patches, p => Assert.NotNull(p.Region));
        Assert.Empty(TileImages(Path.Combine(dir, "tiles")));

        var risks = Path.Combine(dir, "risks.csv");
        (exit, _, error) = Run(["predict", "--model", model, "--cohort", cohort, .. Slides(Path.Combine(dir, "tiles")), "--out", risks]);
        Assert.True(exit == 0, error);
        var table = CsvTable.Read(risks);
        Assert.Equal(["A", "B", "C", "D"], Enumerable.Range(0, table.Rows.Count).Select(r => table.Text(r, 0)));
        // The same slide for every patient: the same features, so the same risk.
        Assert.Single(Enumerable.Range(0, table.Rows.Count).Select(r => table.Number(r, 1)).Distinct());
        Assert.Empty(TileImages(Path.Combine(dir, "tiles")));

        (exit, _, error) = Run(["predict", "--model", model, "--cohort", cohort, "--patches", Path.Combine(dir, "tiles", "patches.csv"), .. Slides(Path.Combine(dir, "tiles")), "--out", risks + "2"]);
        Assert.Equal(2, exit);
        Assert.Contains("exactly one of --patches", error);
        (exit, _, error) = Run("predict", "--model", model, "--cohort", cohort, "--out", risks + "3");
        Assert.Equal(2, exit);
        Assert.Contains("exactly one of --patches", error);
    }

    // Tile images the slide stage would have saved (its tissue mask PNG is not one).
    private static IEnumerable<string> TileImages(string folder) =>
        Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories).Where(f => !f.EndsWith(".mask.png", StringComparison.Ordinal));

    [Fact]
    public void RegionFeaturesEqualPngFeaturesAndAPatientsSlidesAreOneBag()
    {
        var dir = TestPaths.NewTempDirectory();
        foreach (var name in new[] { "a.svs", "b.svs" }) File.Copy(TestPaths.Fixture("wsi", "CMU-1-Small-Region.svs"), Path.Combine(dir, name));
        var manifest = Path.Combine(dir, "slides.csv");
        // Patient P has two slides; b.svs is tiled as if at 0.998 µm/px, so its tiles differ from a.svs's.
        File.WriteAllLines(manifest, ["patient_id,slide_path,mpp", "P,a.svs,", "P,b.svs,0.998"]);
        var options = new TilingOptions { TargetMpp = 2, TileSize = 64 };
        var regions = SlideManifest.Tile(manifest, Path.Combine(dir, "regions"), options, PipelineLog.Silent);
        var pngs = SlideManifest.Tile(manifest, Path.Combine(dir, "pngs"), options with { SaveTiles = true }, PipelineLog.Silent);
        Assert.Empty(TileImages(Path.Combine(dir, "regions")));
        Assert.Equal(pngs.Patches.Count, TileImages(Path.Combine(dir, "pngs")).Count());

        using var backbone = BackboneFactory.Create("scratch", 7);
        var settings = FeatureSettings.Of("scratch", backbone, 32, TorchSharp.torch.CPU, FeatureEngineKind.Auto);
        var fromRegions = new FeatureCache(Path.Combine(dir, "cache"), PipelineLog.Silent).Get(regions, ["P"], new Lazy<Backbone>(() => backbone), settings, TorchSharp.torch.CPU).Single();
        var fromPngs = new FeatureCache(Path.Combine(dir, "cache-png"), PipelineLog.Silent).Get(pngs, ["P"], new Lazy<Backbone>(() => backbone), settings, TorchSharp.torch.CPU).Single();
        // The same pixels, so exactly the same features.
        Assert.Equal(fromPngs.Features.Length, fromRegions.Features.Length);
        for (int i = 0; i < fromPngs.Features.Length; i++) Assert.Equal(fromPngs.Features[i], fromRegions.Features[i]);

        // The bag is the union of both slides, each patch with the index of its slide.
        var p = regions.Patches.Where(r => r.PatientId == "P").ToList();
        int fromA = p.Count(r => r.Region!.SlideIndex == 0), fromB = p.Count(r => r.Region!.SlideIndex == 1);
        Assert.True(fromA > 0 && fromB > fromA, $"{fromA} tiles from a.svs, {fromB} from b.svs");
        Assert.Equal(p.Count, fromRegions.Features.Length);
        Assert.Equal(p.Select(r => (long)r.Region!.SlideIndex), fromRegions.SlideIndices);
        Assert.Equal(["a.svs", "b.svs"], fromRegions.SlideNames);
        Assert.Equal(p.Select(r => (r.X!.Value, r.Y!.Value)), Enumerable.Range(0, p.Count).Select(i => (fromRegions.Coords[i, 0], fromRegions.Coords[i, 1])));
        var file = Directory.GetFiles(Path.Combine(dir, "cache"), "P.h5", SearchOption.AllDirectories).Single();
        using (var h5 = H5File.OpenRead(file))
        {
            Assert.Equal(p.Select(r => (long)r.Region!.SlideIndex), h5.Dataset("slide_index").Read<long[]>());
            Assert.Equal("a.svs\nb.svs", h5.Dataset("features").Attribute("slide_names").Read<string>());
        }
        // Read back from the cache: the same slide indices; a changed slide is never reused.
        var again = new FeatureCache(Path.Combine(dir, "cache"), PipelineLog.Silent);
        Assert.Equal(fromRegions.SlideIndices, again.Get(regions, ["P"], new Lazy<Backbone>(() => throw new InvalidOperationException("must be cached")), settings, TorchSharp.torch.CPU).Single().SlideIndices);
        File.SetLastWriteTimeUtc(Path.Combine(dir, "b.svs"), DateTime.UtcNow.AddMinutes(5));
        var changed = new FeatureCache(Path.Combine(dir, "cache"), PipelineLog.Silent);
        changed.Get(regions, ["P"], new Lazy<Backbone>(() => backbone), settings, TorchSharp.torch.CPU);
        Assert.Equal(1, changed.Extracted);
    }
}
