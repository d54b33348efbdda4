using System.Diagnostics;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Imaging;
using HistoPrognosis.IO;
using HistoPrognosis.Mil;
using HistoPrognosis.Slides;
using HistoPrognosis.Training.EndToEnd;
using static TorchSharp.torch;

namespace HistoPrognosis.Heatmaps;

/// <summary>One slide's heatmap outputs: where they are, its tiles, and the patient's risk.</summary>
public sealed record SlideHeatmap(string PatientId, string Slide, string Folder, int Tiles, double PatientRisk, bool HasAttention, double RenderSeconds);

/// <summary>What <see cref="HeatmapRenderer.Run"/> wrote; <see cref="Note"/> says when a map could not be made (no attention).</summary>
public sealed record HeatmapSummary(string Folder, IReadOnlyList<SlideHeatmap> Slides, string? Note);

/// <summary>
/// <c>histoprog heatmap</c> and the run's <c>report.heatmaps</c>: for every patient and slide of a patch table (a
/// slide manifest's tiles, or patches with <c>x, y</c>), the per-tile scores of a saved MIL model (<see cref="TileScores"/>)
/// from the feature cache — never re-extracted — written as <c>tiles.csv</c>, the figures <c>risk.png</c> and
/// <c>attention.png</c> (thumbnail | overlay | colour bar), the galleries <c>gallery-risk.png</c> and
/// <c>gallery-attention.png</c> (top-k and bottom-k tiles), and <c>tiles.geojson</c> for QuPath
/// (<see cref="QuPathGeoJson"/>), one folder per slide: <c>OUT/PATIENT/SLIDE/</c>, plus <c>OUT/heatmaps.csv</c>. The
/// output folder is staged and committed whole: a failure leaves nothing half-written.
/// </summary>
public static class HeatmapRenderer
{
    public const string TilesFile = "tiles.csv", GeoJsonFile = "tiles.geojson", SummaryFile = "heatmaps.csv", NotesFile = "notes.txt";

    public const string NoAttentionNote = "has no attention (mean or max pooling weighs tiles by construction, not by learned attention): risk maps only";

    /// <param name="modelDirectory">a model folder written by <c>histoprog train</c></param>
    /// <param name="table">the patches the model's features were cached for (must have <c>x, y</c>)</param>
    /// <param name="cacheRoot">feature cache root (null = the default)</param>
    /// <param name="patients">only these patients (null = every patient of the table)</param>
    /// <param name="slideOptions">how slides are opened (backend, µm/px override)</param>
    /// <param name="tissue">the slide stage's tissue detection settings (<c>tiling.tissue</c>), for the masks the maps are clipped to</param>
    public static HeatmapSummary Run(string modelDirectory, PatchTable table, string? cacheRoot, string outDirectory, HeatmapConfig config, PipelineLog log,
        Device? device = null, IReadOnlyCollection<string>? patients = null, SlideOpenOptions? slideOptions = null, Tiling.TissueDetectorOptions? tissue = null)
    {
        config.Validate();
        if (EndToEndModelFile.IsModelDirectory(modelDirectory))
            throw new UserInputException($"{modelDirectory}: an end-to-end model; heatmaps are drawn from cached frozen features of a MIL model (histoprog train). " +
                                         "For an end-to-end model, extract features with its fine-tuned backbone and train a MIL model on them, or use predict for its risks");
        RequireCoordinates(table);
        device ??= CPU;
        var (model, manifest) = PrognosisModelFile.Load(modelDirectory, device);
        using var _ = model;
        var ids = patients?.ToList() ?? table.PatientIds.ToList();
        var known = table.Patches.Select(p => p.PatientId).ToHashSet(StringComparer.Ordinal);
        if (ids.FirstOrDefault(id => !known.Contains(id)) is { } absent) throw new UserInputException($"{table.SourcePath}: no patches for patient {absent}");
        var cache = new FeatureCache(cacheRoot ?? FeatureCache.DefaultRoot, log);
        string? note = TileScorer.HasAttention(manifest.Config.Aggregator) ? null : $"{modelDirectory}: aggregator {ConfigNamesValue(manifest.Config.Aggregator)} {NoAttentionNote}";
        if (note is not null) log.Info(note);
        if (model.Clinical.Width > 0)
            log.Info($"{modelDirectory}: the model fuses clinical covariates; tile risks are computed with them at the training mean (encoded zeros)");
        using var output = new OutputFolder(outDirectory);
        var byPatient = table.Patches.GroupBy(p => p.PatientId).ToDictionary(g => g.Key, g => g.ToList());
        var slides = new List<SlideHeatmap>();
        for (int p = 0; p < ids.Count; p++)
        {
            // One patient's features in memory at a time; a patient missing from the cache fails the run before
            // the commit, so nothing of it is left behind.
            var patient = cache.ReadCached(table, [ids[p]], manifest.Features)[0];
            var patches = byPatient[patient.PatientId];
            CheckPositions(patient, patches, table);
            var scores = TileScorer.Score(model, new PatientBag(patient.PatientId, patient.Features));
            // One canvas per slide file; patches that are image files (IDC) make one canvas per patient.
            var groups = Enumerable.Range(0, patches.Count).GroupBy(i => patches[i].Region?.SlidePath ?? "").ToList();
            var usedNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var group in groups)
            {
                var indices = group.ToArray();
                string slideName = group.Key.Length > 0 ? Path.GetFileName(group.Key) : patient.PatientId;
                var folderName = Path.Combine(SafeName(patient.PatientId), Unique(usedNames, SafeName(Path.GetFileNameWithoutExtension(slideName))));
                var folder = Path.Combine(output.Path, folderName);
                Directory.CreateDirectory(folder);
                var clock = Stopwatch.StartNew();
                var slice = new SlideScores(
                    indices.Select(i => scores.Risk[i]).ToArray(),
                    scores.Attention is null ? null : indices.Select(i => scores.Attention[i]).ToArray(),
                    scores.AttentionRank is null ? null : indices.Select(i => scores.AttentionRank[i]).ToArray());
                if (group.Key.Length > 0)
                {
                    using var slide = SlideFactory.Open(group.Key, slideOptions);
                    var rects = indices.Select(i => RegionRect(patches[i], slide)).ToArray();
                    var canvas = SlideCanvas.FromSlide(slide, config.MaxSide, tissue);
                    RenderSlide(folder, slideName, $"{patient.PatientId} {slideName}", rects, slice, scores.PatientRisk, canvas,
                        k => { var r = patches[indices[k]].Region!; return slide.ReadRegion(r.Level, rects[k].X, rects[k].Y, r.ReadSize, r.ReadSize); }, config);
                }
                else
                {
                    var images = indices.Select(i => ImageCodec.Read(patches[i].Path, patches[i].MaxPixels)).ToArray();
                    var rects = indices.Select((i, k) => new TileRect(patches[i].X!.Value, patches[i].Y!.Value, images[k].Width, images[k].Height)).ToArray();
                    var canvas = SlideCanvas.FromPatches(rects, images, config.MaxSide);
                    RenderSlide(folder, slideName, $"patient {patient.PatientId}", rects, slice, scores.PatientRisk, canvas, k => images[k], config);
                }
                slides.Add(new SlideHeatmap(patient.PatientId, slideName, folderName, indices.Length, scores.PatientRisk, scores.HasAttention, clock.Elapsed.TotalSeconds));
            }
            log.Progress("heatmaps", p + 1, ids.Count, patient.PatientId, Math.Max(1, ids.Count / 10));
        }
        CsvFile.Write(output.File(SummaryFile), ["patient_id", "slide", "folder", "tiles", "patient_risk", "attention"],
            slides.Select(s => new object?[] { s.PatientId, s.Slide, s.Folder.Replace('\\', '/'), s.Tiles, s.PatientRisk, s.HasAttention }));
        if (note is not null) AtomicFile.WriteAllText(output.File(NotesFile), note + "\n");
        output.Commit();
        log.Info($"heatmaps: {slides.Count} slide(s) of {ids.Count} patient(s) → {output.Destination}");
        return new HeatmapSummary(output.Destination, slides, note);
    }

    /// <summary>Per-slide slices of a patient's scores.</summary>
    public sealed record SlideScores(float[] Risk, float[]? Attention, float[]? AttentionRank);

    /// <summary>
    /// Writes one slide's files into <paramref name="folder"/>: tiles.csv, risk.png, gallery-risk.png, with attention
    /// attention.png and gallery-attention.png, and tiles.geojson. Public so a render can be timed on its own.
    /// </summary>
    public static void RenderSlide(string folder, string slide, string title, IReadOnlyList<TileRect> rects, SlideScores scores, double patientRisk,
        SlideCanvas canvas, Func<int, RgbImage> tileImage, HeatmapConfig config)
    {
        CsvFile.Write(Path.Combine(folder, TilesFile), ["slide", "x", "y", "width", "height", "attention", "attention_rank", "risk"],
            rects.Select((r, i) => new object?[] { slide, r.X, r.Y, r.Width, r.Height, scores.Attention?[i], scores.AttentionRank?[i], scores.Risk[i] }));
        var riskMap = ScoreMap.OfRange("risk", scores.Risk);
        Draw("risk", $"{title}: tile risk (patient risk {HeatmapImages.Label(patientRisk)})", riskMap, scores.Risk);
        if (scores.AttentionRank is { } rank)
            Draw("attention", $"{title}: attention rank (0 lowest, 1 highest)", new ScoreMap("attention rank", rank, 0, 1), scores.Attention!);
        if (config.GeoJson) QuPathGeoJson.Write(Path.Combine(folder, GeoJsonFile), title, rects, scores.Risk, scores.Attention, scores.AttentionRank, canvas);

        void Draw(string name, string caption, ScoreMap map, IReadOnlyList<float> galleryScores)
        {
            var overlay = HeatmapImages.Overlay(canvas, rects, map, config);
            ImageCodec.WritePng(HeatmapImages.Figure(canvas.Image, overlay, map, caption, config), Path.Combine(folder, name + ".png"));
            if (config.TopK > 0)
                ImageCodec.WritePng(HeatmapImages.Gallery(galleryScores, tileImage, config.TopK, config.GalleryCell, $"{title}: {name}, top and bottom {Math.Min(config.TopK, rects.Count)} tiles"),
                    Path.Combine(folder, $"gallery-{name}.png"));
        }
    }

    /// <summary>A heatmap places every patch: the table needs columns x and y (the slide stage's tables have them).</summary>
    public static void RequireCoordinates(PatchTable table)
    {
        var missing = new List<string>();
        if (table.Patches.Any(p => p.X is null)) missing.Add("x");
        if (table.Patches.Any(p => p.Y is null)) missing.Add("y");
        if (missing.Count > 0)
            throw new UserInputException($"{table.SourcePath}: a heatmap needs every patch's position in its slide, but the patch table lacks column(s) {string.Join(", ", missing.Select(c => $"'{c}'"))} (level-0 pixels of the patch's top-left corner)");
    }

    // The cache stores each patch's position: a mismatch means the table's order or positions changed since extraction.
    private static void CheckPositions(PatientFeatures patient, List<PatchRecord> patches, PatchTable table)
    {
        for (int i = 0; i < patches.Count; i++)
            if (patient.Coords[i, 0] != patches[i].X || patient.Coords[i, 1] != patches[i].Y)
                throw new UserInputException($"{table.SourcePath}, row {patches[i].Line}: patient {patient.PatientId}'s cached features place this patch at ({patient.Coords[i, 0]}, {patient.Coords[i, 1]}), the table at ({patches[i].X}, {patches[i].Y}); extract the features again");
    }

    private static TileRect RegionRect(PatchRecord patch, ISlide slide)
    {
        var region = patch.Region!;
        if (region.Level >= slide.Levels.Count)
            throw new UserInputException($"{patch.Table}, row {patch.Line}: level {region.Level} is not in {slide.Path} ({slide.Levels.Count} levels)");
        long side = (long)Math.Round(region.ReadSize * slide.Levels[region.Level].Downsample);
        return new TileRect(patch.X!.Value, patch.Y!.Value, side, side);
    }

    private static string SafeName(string name)
    {
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray()).TrimStart('.');
        return FileNames.Fit(safe.Length == 0 ? "_" : safe, 8);
    }

    private static string Unique(HashSet<string> used, string name)
    {
        var candidate = name;
        for (int k = 2; !used.Add(candidate); k++) candidate = $"{name}-{k}";
        return candidate;
    }

    private static string ConfigNamesValue(MilAggregatorKind kind) => Configuration.ConfigNames.Value(kind);
}
