using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Heatmaps;
using HistoPrognosis.Imaging;
using HistoPrognosis.Mil;
using HistoPrognosis.Survival;
using HistoPrognosis.Tiling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Heatmaps;

[Collection(TorchCollection.Name)]
public sealed class HeatmapTests(ITestOutputHelper output)
{
    private const int Dim = 6, TilesPerBag = 20, SignalTile = 3;
    private static readonly FeatureSettings Settings = new("test-backbone", "test-weights", "test-preprocessing", 96, Dim);

    // ---- colour map ----

    [Fact]
    public void CoolwarmHasMorelandsEndPointsAndAGreyWhiteMiddle()
    {
        var map = ColorMap.Coolwarm;
        AssertColour((59, 76, 192), map.At(0), 1);
        AssertColour((180, 4, 38), map.At(1), 1);
        // Moreland's midpoint: M = 88 unsaturated, sRGB ≈ (221, 221, 221).
        AssertColour((221, 221, 221), map.At(0.5), 2);
        // Diverging: lightness rises to the middle and falls after it; blue dominates below, red above.
        double Lum((byte R, byte G, byte B) c) => 0.2126 * c.R + 0.7152 * c.G + 0.0722 * c.B;
        for (double t = 0.05; t <= 0.5; t += 0.05) Assert.True(Lum(map.At(t)) >= Lum(map.At(t - 0.05)) - 0.5, $"lightness falls at {t}");
        for (double t = 0.55; t <= 1.0001; t += 0.05) Assert.True(Lum(map.At(t)) <= Lum(map.At(t - 0.05)) + 0.5, $"lightness rises at {t}");
        Assert.True(map.At(0.25).B > map.At(0.25).R);
        Assert.True(map.At(0.75).R > map.At(0.75).B);
        AssertColour(map.At(0.5), ColorMap.Warm.At(0), 1);
        AssertColour(map.At(1), ColorMap.Warm.At(1), 1);
    }

    private static void AssertColour((int R, int G, int B) expected, (byte R, byte G, byte B) actual, int tolerance)
    {
        Assert.True(Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance && Math.Abs(expected.B - actual.B) <= tolerance,
            $"expected {expected}, got {actual}");
    }

    // ---- tile scores ----

    [Theory]
    [InlineData(MilAggregatorKind.Mean)]
    [InlineData(MilAggregatorKind.Max)]
    [InlineData(MilAggregatorKind.Abmil)]
    [InlineData(MilAggregatorKind.Clam)]
    [InlineData(MilAggregatorKind.Transmil)]
    public void SingletonOutputsAreTheOutputsOfOneTileBags(MilAggregatorKind kind)
    {
        manual_seed(5);
        using var network = PrognosisModel.CreateNetwork(new PrognosisConfig { Aggregator = kind, Mil = new MilConfig { HiddenDimension = 8, AttentionDimension = 4, Dropout = 0 } }, 5, 0, 1, CPU);
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var bag = randn(6, 5);
        var batched = network.RunSingletons(bag, null);
        Assert.Equal([6L, 1L], batched.shape);
        for (int i = 0; i < 6; i++)
            Assert.Equal(network.Run(bag.narrow(0, i, 1), null).Outputs.item<float>(), batched[i, 0].item<float>(), 4);
    }

    [Fact]
    public void RanksAreNormalisedWithTiesShared()
    {
        Assert.Equal([0.5f, 0f, 1f, 0.5f], TileScorer.RankNormalised([2f, 1f, 3f, 2f]).Select(v => MathF.Round(v, 4)).ToArray());
        Assert.Equal([1f], TileScorer.RankNormalised([7f]));
    }

    [Fact]
    public void TheTileThatCarriesTheSignalRanksTopInAttentionAndRisk()
    {
        using var model = TrainModel(MilAggregatorKind.Abmil);
        var rng = new Random(99);
        for (int trial = 0; trial < 3; trial++)
        {
            var bag = Bag($"test{trial}", rng, signal: true);
            var scores = TileScorer.Score(model, bag);
            output.WriteLine($"attention {string.Join(' ', scores.Attention!.Select(a => a.ToString("F3", CultureInfo.InvariantCulture)))}; risk {string.Join(' ', scores.Risk.Select(a => a.ToString("F2", CultureInfo.InvariantCulture)))}");
            Assert.True(scores.HasAttention);
            Assert.Equal(1.0, scores.Attention!.Sum(), 3);
            Assert.Equal(SignalTile, ArgMax(scores.Attention!));
            Assert.Equal(1f, scores.AttentionRank![SignalTile]);
            Assert.Equal(SignalTile, ArgMax(scores.Risk));
        }
    }

    [Fact]
    public void MeanPoolingTileRiskIsTheHeadOnTheTileAndHasNoAttention()
    {
        using var model = TrainModel(MilAggregatorKind.Mean);
        var bag = Bag("m", new Random(3), signal: true);
        var scores = TileScorer.Score(model, bag);
        Assert.False(scores.HasAttention);
        Assert.Null(scores.AttentionRank);
        Assert.Equal(SignalTile, ArgMax(scores.Risk));
        // Exactly the model's prediction for a bag of that tile alone.
        for (int i = 0; i < TilesPerBag; i++)
        {
            var alone = model.Predict([new PatientBag("one", [bag.Instances[i]])], [Array.Empty<float>()])[0];
            Assert.Equal(alone.Risk, scores.Risk[i], 4);
        }
    }

    // ---- the whole run: files, values, GeoJSON ----

    [Fact]
    public void RunWritesTilesFiguresGalleriesAndQuPathGeoJsonWhereTheSignalTileRanksTop()
    {
        var dir = TestPaths.NewTempDirectory();
        var (table, modelDir, cache) = Fixture(dir, MilAggregatorKind.Abmil, ["p1", "p2"]);
        var outDir = Path.Combine(dir, "heatmaps");
        var config = new HeatmapConfig { TopK = 3, GalleryCell = 32 };
        var summary = HeatmapRenderer.Run(modelDir, table, cache, outDir, config, PipelineLog.Silent);
        Assert.Null(summary.Note);
        Assert.Equal(2, summary.Slides.Count);
        foreach (var slide in summary.Slides)
        {
            var folder = Path.Combine(outDir, slide.Folder);
            var rows = ReadTiles(Path.Combine(folder, HeatmapRenderer.TilesFile));
            Assert.Equal(TilesPerBag, rows.Count);
            Assert.Equal(PatchPosition(SignalTile), (rows[ArgMax(rows.Select(r => r.Risk).ToArray())].X, rows[ArgMax(rows.Select(r => r.Risk).ToArray())].Y));
            Assert.Equal(PatchPosition(SignalTile), (rows[ArgMax(rows.Select(r => r.Attention!.Value).ToArray())].X, rows[ArgMax(rows.Select(r => r.Attention!.Value).ToArray())].Y));
            Assert.Equal(1.0, rows.Sum(r => r.Attention!.Value), 3);
            foreach (var name in new[] { "risk.png", "attention.png", "gallery-risk.png", "gallery-attention.png" })
                Assert.True(File.Exists(Path.Combine(folder, name)), name);
            // The figure: thumbnail | overlay side by side; the overlay is red on the signal tile (highest rank) and
            // the thumbnail unchanged there.
            var figure = ImageCodec.Read(Path.Combine(folder, "attention.png"));
            var canvasWidth = 5 * 32; // the canvas assembled from the 5 × 4 patches at x, y (no downsampling)
            var (sx, sy) = PatchPosition(SignalTile);
            int top = 12 + BitmapFont.GlyphHeight * 2 + 12;
            var thumb = Pixel(figure, 12 + (int)sx + 16, top + (int)sy + 16);
            var over = Pixel(figure, 12 + canvasWidth + 12 + (int)sx + 16, top + (int)sy + 16);
            Assert.Equal(PatchColour(SignalTile), thumb);
            Assert.True(over.R > over.B + 40, $"overlay on the top tile should be red, got {over}");
            ValidateQuPathGeoJson(Path.Combine(folder, HeatmapRenderer.GeoJsonFile), rows, expectAttention: true);
        }
        // Nothing half-written beside the output.
        Assert.Empty(Directory.GetDirectories(dir, ".heatmaps*"));
    }

    [Fact]
    public void SlidesOfAManifestGetOneHeatmapEachWithLevel0TilesAndTissueAnnotations()
    {
        var dir = TestPaths.NewTempDirectory();
        foreach (var name in new[] { "a.svs", "b.svs" }) File.Copy(TestPaths.Fixture("wsi", "CMU-1-Small-Region.svs"), Path.Combine(dir, name));
        var manifest = Path.Combine(dir, "slides.csv");
        File.WriteAllLines(manifest, ["patient_id,slide_path", "P1,a.svs", "P1,b.svs"]);
        var options = new TilingOptions { TargetMpp = 2.0, TileSize = 64, Qc = new TileQcOptions { BlurThreshold = 0 }, Workers = 1 };
        var table = SlideManifest.Tile(manifest, Path.Combine(dir, "tiles"), options, PipelineLog.Silent);
        var patches = table.Patches.ToList();
        // The signal on the third tile of slide b.
        int signal = patches.FindIndex(p => p.Region!.SlideIndex == 1) + 2;
        var rng = new Random(4);
        var rows = patches.Select((_, i) => Enumerable.Range(0, Dim).Select(j => j == 0 && i == signal ? 5f : (float)Gaussian(rng)).ToArray()).ToArray();
        var coords = new long[patches.Count, 2];
        for (int i = 0; i < patches.Count; i++) (coords[i, 0], coords[i, 1]) = (patches[i].X!.Value, patches[i].Y!.Value);
        var cacheRoot = Path.Combine(dir, "cache");
        cache(cacheRoot).Put(table, new PatientFeatures("P1", rows, coords, patches.Select(p => (long)p.Region!.SlideIndex).ToArray(), ["a.svs", "b.svs"]), Settings);
        var modelDir = Path.Combine(dir, "model");
        using (var model = TrainModel(MilAggregatorKind.Abmil)) PrognosisModelFile.Save(modelDir, model, Settings, 0, ["t0"], new HistoPrognosis.Stain.StainConfig());

        var outDir = Path.Combine(dir, "heatmaps");
        var summary = HeatmapRenderer.Run(modelDir, table, cacheRoot, outDir, new HeatmapConfig { TopK = 2 }, PipelineLog.Silent);
        Assert.Equal(["a.svs", "b.svs"], summary.Slides.Select(s => s.Slide).ToArray());
        var a = ReadTiles(Path.Combine(outDir, summary.Slides[0].Folder, HeatmapRenderer.TilesFile));
        var b = ReadTiles(Path.Combine(outDir, summary.Slides[1].Folder, HeatmapRenderer.TilesFile));
        Assert.Equal(patches.Count, a.Count + b.Count);
        // Attention is the patient's: it sums to 1 over both slides, and peaks on the signal tile of slide b.
        Assert.Equal(1.0, a.Sum(r => r.Attention!.Value) + b.Sum(r => r.Attention!.Value), 3);
        var top = b[ArgMax(b.Select(r => r.Attention!.Value).ToArray())];
        Assert.Equal((patches[signal].X!.Value, patches[signal].Y!.Value), ((long)top.X, (long)top.Y));
        Assert.True(b.Select(r => r.Attention!.Value).Max() > a.Select(r => r.Attention!.Value).Max());
        Assert.Equal((double)patches[signal].X!.Value, b[ArgMax(b.Select(r => r.Risk).ToArray())].X);
        // Level-0 tile sides: 64 px at 2 µm/px on a 0.499 µm/px slide, read at level 0.
        Assert.All(b, r => Assert.Equal(patches[0].Region!.ReadSize, r.Width));
        ValidateQuPathGeoJson(Path.Combine(outDir, summary.Slides[1].Folder, HeatmapRenderer.GeoJsonFile), b, expectAttention: true);
        Assert.True(File.Exists(Path.Combine(outDir, summary.Slides[1].Folder, "risk.png")));

        static FeatureCache cache(string root) => new(root, PipelineLog.Silent);
    }

    [Fact]
    public void MeanPoolingAskedForHeatmapsGivesTheRiskMapOnlyAndSaysSo()
    {
        var dir = TestPaths.NewTempDirectory();
        var (table, modelDir, cache) = Fixture(dir, MilAggregatorKind.Mean, ["p1"]);
        var outDir = Path.Combine(dir, "heatmaps");
        var summary = HeatmapRenderer.Run(modelDir, table, cache, outDir, new HeatmapConfig(), PipelineLog.Silent);
        Assert.NotNull(summary.Note);
        Assert.Contains("no attention", summary.Note);
        Assert.Contains("risk maps only", File.ReadAllText(Path.Combine(outDir, HeatmapRenderer.NotesFile)));
        var folder = Path.Combine(outDir, summary.Slides[0].Folder);
        Assert.True(File.Exists(Path.Combine(folder, "risk.png")));
        Assert.False(File.Exists(Path.Combine(folder, "attention.png")));
        Assert.False(File.Exists(Path.Combine(folder, "gallery-attention.png")));
        var rows = ReadTiles(Path.Combine(folder, HeatmapRenderer.TilesFile));
        Assert.All(rows, r => Assert.Null(r.Attention));
        Assert.Equal(PatchPosition(SignalTile), (rows[ArgMax(rows.Select(r => r.Risk).ToArray())].X, rows[ArgMax(rows.Select(r => r.Risk).ToArray())].Y));
        ValidateQuPathGeoJson(Path.Combine(folder, HeatmapRenderer.GeoJsonFile), rows, expectAttention: false);
    }

    [Fact]
    public void APatchTableWithoutCoordinatesIsAnErrorNamingTheTableAndTheColumns()
    {
        var dir = TestPaths.NewTempDirectory();
        var png = Path.Combine(dir, "a.png");
        ImageCodec.WritePng(Solid(8, 8, (200, 100, 150)), png);
        var csv = Path.Combine(dir, "no-xy.csv");
        File.WriteAllText(csv, "path,patient_id\na.png,p1\n");
        var error = Assert.Throws<UserInputException>(() =>
            HeatmapRenderer.Run(Path.Combine(dir, "no-model"), PatchTable.Load(csv, requireLabel: false), dir, Path.Combine(dir, "out"), new HeatmapConfig(), PipelineLog.Silent));
        Assert.Contains(csv, error.Message);
        Assert.Contains("'x', 'y'", error.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public void APatientMissingFromTheCacheIsAnErrorNamingThePatientAndNothingIsWritten()
    {
        var dir = TestPaths.NewTempDirectory();
        var (table, modelDir, cache) = Fixture(dir, MilAggregatorKind.Abmil, ["p1"], uncached: ["p2"]);
        var outDir = Path.Combine(dir, "heatmaps");
        var error = Assert.Throws<UserInputException>(() => HeatmapRenderer.Run(modelDir, table, cache, outDir, new HeatmapConfig(), PipelineLog.Silent));
        Assert.Contains("patient p2", error.Message);
        Assert.Contains("nothing is extracted", error.Message);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void AnEndToEndModelIsRefusedWithAClearError()
    {
        var dir = TestPaths.NewTempDirectory();
        var (table, _, cache) = Fixture(dir, MilAggregatorKind.Mean, ["p1"]);
        var model = Path.Combine(dir, "e2e");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, HistoPrognosis.Training.EndToEnd.EndToEndModelFile.ManifestName), "{}");
        var error = Assert.Throws<UserInputException>(() => HeatmapRenderer.Run(model, table, cache, Path.Combine(dir, "out"), new HeatmapConfig(), PipelineLog.Silent));
        Assert.Contains("end-to-end model", error.Message);
    }

    [Fact]
    public void ConfigRejectsOutOfRangeValues()
    {
        Assert.Throws<UserInputException>(() => new HeatmapConfig { Alpha = 1.5 }.Validate());
        Assert.Throws<UserInputException>(() => new HeatmapConfig { BlurSigmaTiles = -1 }.Validate());
        Assert.Throws<UserInputException>(() => new HeatmapConfig { TopK = -1 }.Validate());
    }

    /// <summary>Not a timed assertion: prints how long one 10,000-tile slide takes to render (figures, galleries, CSV, GeoJSON).</summary>
    [Fact]
    public void RendersA10000TileSlide()
    {
        var dir = TestPaths.NewTempDirectory();
        const int side = 100, tile = 256;
        var rng = new Random(1);
        // A 25,600² px slide at 1024 px: 25 level-0 px per thumbnail pixel, tissue everywhere but a border.
        var thumb = RgbImage.Blank(1024, 1024);
        for (int i = 0; i < thumb.Pixels.Length; i += 3) { thumb.Pixels[i] = (byte)rng.Next(150, 230); thumb.Pixels[i + 1] = (byte)rng.Next(60, 140); thumb.Pixels[i + 2] = (byte)rng.Next(140, 210); }
        var tissue = new bool[1024 * 1024];
        for (int y = 20; y < 1004; y++) for (int x = 20; x < 1004; x++) tissue[y * 1024 + x] = true;
        var canvas = new SlideCanvas(thumb, 25, 25, 0, 0, new TissueMask(1024, 1024, tissue, 25, 25));
        var rects = Enumerable.Range(0, side * side).Select(i => new TileRect(i % side * tile, i / side * tile, tile, tile)).ToArray();
        var risk = rects.Select(r => (float)Math.Sin(r.X / 3000.0) + (float)Math.Cos(r.Y / 5000.0)).ToArray();
        var attention = risk.Select(r => MathF.Exp(r)).ToArray();
        float total = attention.Sum();
        attention = attention.Select(a => a / total).ToArray();
        var patch = Solid(tile, tile, (200, 120, 180));
        var clock = Stopwatch.StartNew();
        HeatmapRenderer.RenderSlide(dir, "synthetic", "synthetic slide", rects, new HeatmapRenderer.SlideScores(risk, attention, TileScorer.RankNormalised(attention)), 0.5,
            canvas, _ => patch, new HeatmapConfig { BlurSigmaTiles = 1 });
        output.WriteLine($"10,000-tile slide rendered in {clock.Elapsed.TotalSeconds:F2} s (risk + attention figures and galleries, tiles.csv, GeoJSON; blur σ = 1 tile)");
        Assert.Equal(side * side, ReadTiles(Path.Combine(dir, HeatmapRenderer.TilesFile)).Count);
    }

    // ---- QuPath's GeoJSON rules ----

    /// <summary>
    /// The rules of QuPath's object import, from qupath-core <c>src/main/java/qupath/lib/io/PathObjectTypeAdapters.java</c>
    /// (<c>PathObjectTypeAdapter.parseObject</c> and <c>MeasurementListTypeAdapter.read</c>, QuPath v0.4 and later), plus
    /// GeoJSON's Polygon (RFC 7946): a FeatureCollection's <c>features</c>; each Feature has a <c>geometry</c> (here a
    /// Polygon of closed rings of [x, y]) and a <c>properties</c> object whose <c>objectType</c> names the object
    /// ("detection", "annotation"); <c>classification</c> is a PathClass {name, color: [r, g, b]}; <c>measurements</c> an
    /// object of name → number; an <c>id</c> is kept when it parses as a UUID.
    /// </summary>
    private static void ValidateQuPathGeoJson(string path, List<TileRow> tiles, bool expectAttention)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        Assert.Equal("FeatureCollection", root.GetProperty("type").GetString());
        var features = root.GetProperty("features").EnumerateArray().ToList();
        var detections = new List<JsonElement>();
        int annotations = 0;
        foreach (var f in features)
        {
            Assert.Equal("Feature", f.GetProperty("type").GetString());
            Assert.True(Guid.TryParse(f.GetProperty("id").GetString(), out _));
            var geometry = f.GetProperty("geometry");
            Assert.Equal("Polygon", geometry.GetProperty("type").GetString());
            foreach (var ring in geometry.GetProperty("coordinates").EnumerateArray())
            {
                var points = ring.EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetDouble())).ToList();
                Assert.True(points.Count >= 4);
                Assert.Equal(points[0], points[^1]);
            }
            var properties = f.GetProperty("properties");
            var type = properties.GetProperty("objectType").GetString();
            Assert.Contains(type, new[] { "detection", "annotation" });
            var cls = properties.GetProperty("classification");
            Assert.False(string.IsNullOrEmpty(cls.GetProperty("name").GetString()));
            var colour = cls.GetProperty("color").EnumerateArray().Select(c => c.GetInt32()).ToArray();
            Assert.Equal(3, colour.Length);
            Assert.All(colour, c => Assert.InRange(c, 0, 255));
            if (type == "annotation") { annotations++; Assert.Equal(QuPathGeoJson.Tissue, cls.GetProperty("name").GetString()); }
            else detections.Add(f);
        }
        Assert.True(annotations >= 1, "the tissue should be an annotation");
        Assert.Equal(tiles.Count, detections.Count);
        for (int i = 0; i < tiles.Count; i++)
        {
            var ring = detections[i].GetProperty("geometry").GetProperty("coordinates")[0].EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetDouble())).ToList();
            var t = tiles[i];
            Assert.Equal((t.X, t.Y), (ring.Min(p => p.Item1), ring.Min(p => p.Item2)));
            Assert.Equal((t.X + t.Width, t.Y + t.Height), (ring.Max(p => p.Item1), ring.Max(p => p.Item2)));
            var m = detections[i].GetProperty("properties").GetProperty("measurements");
            Assert.Equal(JsonValueKind.Object, m.ValueKind);
            Assert.Equal(t.Risk, m.GetProperty(QuPathGeoJson.Risk).GetDouble(), 4);
            Assert.Equal(expectAttention, m.TryGetProperty(QuPathGeoJson.Attention, out _));
            Assert.Equal(expectAttention, m.TryGetProperty(QuPathGeoJson.AttentionRank, out _));
        }
    }

    // ---- fixtures ----

    private sealed record TileRow(double X, double Y, double Width, double Height, double? Attention, double? Rank, double Risk);

    private static List<TileRow> ReadTiles(string path)
    {
        var lines = File.ReadAllLines(path);
        Assert.Equal("slide,x,y,width,height,attention,attention_rank,risk", lines[0]);
        double? Opt(string s) => s.Length == 0 ? null : double.Parse(s, CultureInfo.InvariantCulture);
        return lines.Skip(1).Select(l => l.Split(',')).Select(c => new TileRow(double.Parse(c[1], CultureInfo.InvariantCulture), double.Parse(c[2], CultureInfo.InvariantCulture),
            double.Parse(c[3], CultureInfo.InvariantCulture), double.Parse(c[4], CultureInfo.InvariantCulture), Opt(c[5]), Opt(c[6]), double.Parse(c[7], CultureInfo.InvariantCulture))).ToList();
    }

    private static int ArgMax(IReadOnlyList<float> values) => Enumerable.Range(0, values.Count).MaxBy(i => values[i]);
    private static int ArgMax(IReadOnlyList<double> values) => Enumerable.Range(0, values.Count).MaxBy(i => values[i]);

    /// <summary>Noise tiles; with <paramref name="signal"/> tile <see cref="SignalTile"/> carries feature 0 high ("tumour").</summary>
    private static PatientBag Bag(string id, Random rng, bool signal)
    {
        var rows = new float[TilesPerBag][];
        for (int i = 0; i < TilesPerBag; i++)
        {
            rows[i] = Enumerable.Range(0, Dim).Select(_ => (float)Gaussian(rng)).ToArray();
            if (signal && i == SignalTile) rows[i][0] = 5f + 0.3f * (float)Gaussian(rng);
        }
        return new PatientBag(id, rows);
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>Patients with the signal tile die early, the others are censored late: the tile is what the model must find.</summary>
    private static PrognosisModel TrainModel(MilAggregatorKind kind)
    {
        manual_seed(11);
        var rng = new Random(7);
        int n = 48;
        var bags = Enumerable.Range(0, n).Select(i => Bag($"t{i}", rng, signal: i % 2 == 0)).ToList();
        var time = Enumerable.Range(0, n).Select(i => i % 2 == 0 ? 6.0 + i : 80.0 + i).ToArray();
        var events = Enumerable.Range(0, n).Select(i => i % 2 == 0 || i % 8 == 1).ToArray();
        var data = new PrognosisData(bags, bags.Select(_ => Array.Empty<float>()).ToArray(), time, events);
        var none = new PrognosisData([], [], [], []);
        var config = new PrognosisConfig
        {
            Aggregator = kind, Loss = SurvivalLoss.Cox,
            Mil = new MilConfig { Epochs = 300, LearningRate = 0.02, WeightDecay = 0, Dropout = 0, PcaComponents = 0, HiddenDimension = 8, AttentionDimension = 4 },
        };
        return PrognosisModel.Train(data, none, ClinicalEncoder.Empty, config, CPU, PipelineLog.Silent, "heatmap test");
    }

    private static (long X, long Y) PatchPosition(int i) => (i % 5 * 32, i / 5 * 32);

    private static (byte R, byte G, byte B) PatchColour(int i) => i == SignalTile ? ((byte)90, (byte)40, (byte)130) : ((byte)(200 + i), (byte)120, (byte)170);

    private static RgbImage Solid(int w, int h, (byte R, byte G, byte B) c)
    {
        var image = RgbImage.Blank(w, h);
        for (int i = 0; i < image.Pixels.Length; i += 3) { image.Pixels[i] = c.R; image.Pixels[i + 1] = c.G; image.Pixels[i + 2] = c.B; }
        return image;
    }

    private static (byte R, byte G, byte B) Pixel(RgbImage image, int x, int y)
    {
        int o = image.Offset(x, y);
        return (image.Pixels[o], image.Pixels[o + 1], image.Pixels[o + 2]);
    }

    /// <summary>
    /// A patch table of IDC-like patches (20 per patient, 32 px, on a 5 × 4 grid at x, y), a model trained on the
    /// synthetic signal saved as <c>histoprog train</c> would, and the patients' features in a cache (the signal tile
    /// at <see cref="SignalTile"/>) — except <paramref name="uncached"/>, which are in the table only.
    /// </summary>
    private static (PatchTable Table, string ModelDir, string Cache) Fixture(string dir, MilAggregatorKind kind, string[] patients, string[]? uncached = null)
    {
        var all = patients.Concat(uncached ?? []).ToArray();
        var lines = new List<string> { "path,patient_id,x,y" };
        foreach (var id in all)
            for (int i = 0; i < TilesPerBag; i++)
            {
                var name = $"{id}_{i}.png";
                ImageCodec.WritePng(Solid(32, 32, PatchColour(i)), Path.Combine(dir, name));
                var (x, y) = PatchPosition(i);
                lines.Add($"{name},{id},{x},{y}");
            }
        var csv = Path.Combine(dir, "patches.csv");
        File.WriteAllLines(csv, lines);
        var table = PatchTable.Load(csv, requireLabel: false);
        var cacheRoot = Path.Combine(dir, "cache");
        var cache = new FeatureCache(cacheRoot, PipelineLog.Silent);
        var rng = new Random(21);
        foreach (var id in patients)
        {
            var bag = Bag(id, rng, signal: true);
            var coords = new long[TilesPerBag, 2];
            for (int i = 0; i < TilesPerBag; i++) (coords[i, 0], coords[i, 1]) = PatchPosition(i);
            cache.Put(table, new PatientFeatures(id, bag.Instances, coords), Settings);
        }
        var modelDir = Path.Combine(dir, "model");
        using (var model = TrainModel(kind))
            PrognosisModelFile.Save(modelDir, model, Settings, 0, ["t0"], new HistoPrognosis.Stain.StainConfig());
        return (table, modelDir, cacheRoot);
    }
}
