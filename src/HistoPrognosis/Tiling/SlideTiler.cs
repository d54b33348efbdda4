using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using HistoPrognosis.Imaging;
using HistoPrognosis.IO;
using HistoPrognosis.Slides;

namespace HistoPrognosis.Tiling;

/// <summary>Settings of a tiling run (one per batch).</summary>
public sealed record TilingOptions
{
    public double TargetMpp { get; init; } = 0.5;
    public int TileSize { get; init; } = 256;
    public int Overlap { get; init; }

    /// <summary>Minimum tissue fraction (from the mask) for a grid position to be read at all.</summary>
    public double MinTissueFraction { get; init; } = 0.5;

    /// <summary>Relative distance between a level's µm/px and the target within which the level is read without resampling.</summary>
    public double MppTolerance { get; init; } = 0.02;

    public TileQcOptions Qc { get; init; } = new();
    public TissueDetectorOptions Tissue { get; init; } = new();

    /// <summary>Level-0 µm/px for slides that do not state it (replaces the file's when set).</summary>
    public double? SlideMpp { get; init; }

    public SlideBackend Backend { get; init; } = SlideBackend.Auto;

    /// <summary>Also write every kept tile as <c>&lt;slide&gt;_tiles/&lt;x&gt;_&lt;y&gt;.png</c>.</summary>
    public bool SaveTiles { get; init; }

    /// <summary>Parallel tile readers (default: the processor count); a resource, not a result setting, so never in a run config.</summary>
    [HistoPrognosis.Configuration.NotConfigured]
    public int Workers { get; init; } = Environment.ProcessorCount;

    public void Validate()
    {
        if (!(TargetMpp > 0)) throw new UserInputException($"tiling.target_mpp (--mpp) must be positive, got {TargetMpp}");
        if (TileSize < 8) throw new UserInputException($"tiling.tile_size (--tile-size) must be at least 8 px, got {TileSize}");
        if (Overlap < 0 || Overlap >= TileSize) throw new UserInputException($"tiling.overlap (--overlap) must be in [0, tile_size), got {Overlap}");
        if (MinTissueFraction is < 0 or > 1) throw new UserInputException($"tiling.min_tissue_fraction (--min-tissue) must be in [0, 1], got {MinTissueFraction}");
        if (Qc.MaxBackgroundFraction is < 0 or > 1) throw new UserInputException($"tiling.qc.max_background_fraction (--max-background) must be in [0, 1], got {Qc.MaxBackgroundFraction}");
        if (SlideMpp is double m && !(m > 0)) throw new UserInputException($"tiling.slide_mpp (--slide-mpp) must be positive, got {m}");
    }

    /// <summary>The settings that decide the output, as a canonical string stored in the h5 (a changed setting never reuses an old file).</summary>
    public string SettingsKey() => JsonSerializer.Serialize(new SortedDictionary<string, object?>
    {
        ["format"] = 1,
        ["target_mpp"] = TargetMpp,
        ["tile_size"] = TileSize,
        ["overlap"] = Overlap,
        ["min_tissue"] = MinTissueFraction,
        ["mpp_tolerance"] = MppTolerance,
        ["slide_mpp"] = SlideMpp,
        ["backend"] = Backend.ToString(),
        ["qc"] = Qc,
        ["tissue"] = Tissue,
        ["save_tiles"] = SaveTiles,
    });
}

/// <summary>What tiling one slide produced (the JSON names are a stable interface of <c>histoprog tile --json</c>).</summary>
public sealed record SlideTilingResult
{
    public required string Path { get; init; }
    public int Tiles { get; init; }
    public IReadOnlyDictionary<string, long> Dropped { get; init; } = new Dictionary<string, long>();
    public double Seconds { get; init; }
    public string? H5 { get; init; }
    public string? MaskPng { get; init; }
    public string? GeoJson { get; init; }

    /// <summary>True when a finished output with the same settings was found and the slide was not redone.</summary>
    public bool Resumed { get; init; }

    public string? Error { get; init; }
    public int Level { get; init; }
    public double EffectiveMpp { get; init; }
}

/// <summary>Progress of a batch: which slide, and how many of its candidate tiles are done.</summary>
public readonly record struct TilingProgress(int SlideIndex, int SlideCount, string Path, long Done, long Total);

/// <summary>
/// Tissue detection → grid at a target µm/px → parallel read + QC of each tissue tile → coordinates h5, mask PNG and
/// GeoJSON for each slide of a batch. Streaming: only the overview and the tiles in flight are in memory. A slide whose
/// h5 exists with the same settings is skipped; a slide's outputs are all written under temporary names and renamed
/// together at the end, the h5 last, so its presence means the slide is complete and a failed slide leaves nothing
/// (not even the output folder, when the run created it).
/// </summary>
public static class SlideTiler
{
    // What each slide writes after its output stem; the stem is shortened so the longest still fits a file name.
    private const string H5Suffix = ".h5", MaskSuffix = ".mask.png", GeoJsonSuffix = ".tissue.geojson", TilesSuffix = "_tiles";
    private static readonly int LongestSuffix = new[] { H5Suffix, MaskSuffix, GeoJsonSuffix, TilesSuffix }.Max(s => s.Length);

    /// <param name="include">which positions of <paramref name="paths"/> to tile (a static share, <c>tile --shard</c>;
    /// null: all). Output names are checked over every path, so shards of one batch never collide.</param>
    public static IReadOnlyList<SlideTilingResult> RunBatch(IReadOnlyList<string> paths, string outDir, TilingOptions options,
        IProgress<TilingProgress>? progress = null, CancellationToken cancel = default, Func<int, bool>? include = null)
    {
        var stems = paths.GroupBy(OutputStem).FirstOrDefault(g => g.Count() > 1);
        if (stems is not null)
            throw new UserInputException($"slides {string.Join(" and ", stems)} would write the same output name '{stems.Key}'; tile them into different --out folders");
        FileNames.CheckComponents(outDir);
        var results = new List<SlideTilingResult>();
        for (int i = 0; i < paths.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            if (include is not null && !include(i)) continue;
            int index = i;
            var p = progress is null ? null : new Progress<(long, long)>(d => progress.Report(new TilingProgress(index, paths.Count, paths[index], d.Item1, d.Item2)));
            try { results.Add(TileSlide(paths[i], outDir, options, p, cancel)); }
            catch (Exception ex) when (ex is UserInputException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                results.Add(new SlideTilingResult { Path = paths[i], Error = ex.Message });
            }
        }
        return results;
    }

    /// <summary>
    /// The output base name of a slide: its file name without the last extension; when that is so long that
    /// <c>STEM.tissue.geojson</c> would pass the 255-byte limit of a file name, its first bytes + <c>~</c> + 8 hex
    /// digits of a hash of the whole stem (<see cref="FileNames.Fit"/>), so long names still map to distinct outputs.
    /// </summary>
    public static string OutputStem(string slidePath) =>
        FileNames.Fit(System.IO.Path.GetFileNameWithoutExtension(System.IO.Path.TrimEndingDirectorySeparator(slidePath)), LongestSuffix);

    public static SlideTilingResult TileSlide(string slidePath, string outDir, TilingOptions options,
        IProgress<(long Done, long Total)>? progress = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        string stem = OutputStem(slidePath);
        string h5 = System.IO.Path.Combine(outDir, stem + H5Suffix);
        string maskPng = System.IO.Path.Combine(outDir, stem + MaskSuffix);
        string geojson = System.IO.Path.Combine(outDir, stem + GeoJsonSuffix);
        string tilesDir = System.IO.Path.Combine(outDir, stem + TilesSuffix);
        string key = options.SettingsKey();
        if (Directory.Exists(outDir))
        {
            foreach (var output in new[] { h5, maskPng, geojson, tilesDir }) RemoveStaleTemporaries(output);
            if (File.Exists(h5) && TryResume(h5, key) is { } done)
                return done with { Path = slidePath, H5 = h5, MaskPng = maskPng, GeoJson = geojson, Seconds = clock.Elapsed.TotalSeconds };
        }

        using var slide = SlideFactory.Open(slidePath, new SlideOpenOptions { Backend = options.Backend, MppOverride = options.SlideMpp });
        var grid = TileGrid.Plan(slide, options.TargetMpp, options.TileSize, options.Overlap, options.MppTolerance);
        // Mask resolution: about 16 mask pixels across a tile (bounded by MaxMaskSide in the detector).
        var (mask, _) = TissueDetector.Detect(slide, Math.Max(1, grid.SizeLevel0 / 16), options.Tissue);

        var candidates = new List<(long X, long Y)>();
        long lowTissue = 0;
        for (int r = 0; r < grid.Rows; r++)
        for (int c = 0; c < grid.Columns; c++)
        {
            var (x, y) = grid.Position(c, r);
            if (mask.Fraction(x, y, grid.SizeLevel0, grid.SizeLevel0) >= options.MinTissueFraction) candidates.Add((x, y));
            else lowTissue++;
        }

        var status = new string?[candidates.Count];
        bool createdOutDir = !Directory.Exists(outDir);
        Directory.CreateDirectory(outDir);
        try
        {
            using var staged = new StagedFiles();
            string? tilesTemp = options.SaveTiles ? staged.Folder(tilesDir) : null;
            long finished = 0;
            progress?.Report((0, candidates.Count));
            try
            {
                var pooled = slide as SlideBase;
                Parallel.For(0, candidates.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Workers), CancellationToken = cancel },
                    // Each worker decodes into its own buffer, reused for all its tiles (a tile is done with before the next).
                    () => new byte[grid.ReadSize * grid.ReadSize * 3], (i, _, buffer) =>
                {
                    var (x, y) = candidates[i];
                    var tile = pooled is not null
                        ? pooled.ReadRegion(grid.Level, x, y, grid.ReadSize, grid.ReadSize, buffer)
                        : slide.ReadRegion(grid.Level, x, y, grid.ReadSize, grid.ReadSize);
                    if (grid.ReadSize != grid.TileSize) tile = Resampler.Area(tile, grid.TileSize, grid.TileSize);
                    status[i] = TileQc.Check(tile, options.Qc);
                    if (status[i] is null && tilesTemp is not null)
                        ImageCodec.WritePng(tile, System.IO.Path.Combine(tilesTemp, $"{x}_{y}.png"));
                    long n = Interlocked.Increment(ref finished);
                    if (progress is not null && (n % 64 == 0 || n == candidates.Count)) progress.Report((n, candidates.Count));
                    return buffer;
                }, _ => { });
            }
            catch (AggregateException ex) when (ex.InnerExceptions.FirstOrDefault(e => e is UserInputException or InvalidDataException or IOException) is { } first)
            {
                // The first bad tile as itself (it names the slide), not wrapped by the parallel loop.
                ExceptionDispatchInfo.Capture(first).Throw();
            }

            var kept = Enumerable.Range(0, candidates.Count).Where(i => status[i] is null).ToArray();
            var coords = new long[kept.Length, 2];
            for (int k = 0; k < kept.Length; k++) { coords[k, 0] = candidates[kept[k]].X; coords[k, 1] = candidates[kept[k]].Y; }
            var dropped = new SortedDictionary<string, long>(StringComparer.Ordinal)
            {
                [DropReason.LowTissue] = lowTissue,
                [DropReason.Background] = status.Count(s => s == DropReason.Background),
                [DropReason.Blur] = status.Count(s => s == DropReason.Blur),
            };

            WriteMaskPng(mask, staged.File(maskPng));
            File.WriteAllText(staged.File(geojson), MaskContours.ToGeoJson(mask));
            var attrs = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["patch_size"] = (long)grid.ReadSize,
                ["patch_level"] = (long)grid.Level,
                ["downsample"] = grid.LevelDownsample,
                ["level_dim"] = $"{grid.LevelWidth}x{grid.LevelHeight}",
                ["name"] = stem,
                ["target_mpp"] = grid.TargetMpp,
                ["effective_mpp"] = grid.EffectiveMpp,
                ["slide_mpp"] = grid.SlideMpp,
                ["tile_size"] = (long)grid.TileSize,
                ["overlap"] = (long)grid.Overlap,
                ["patch_size_level0"] = grid.SizeLevel0,
                ["min_tissue_fraction"] = options.MinTissueFraction,
                ["max_background_fraction"] = options.Qc.MaxBackgroundFraction,
                ["blur_threshold"] = options.Qc.BlurThreshold,
                ["tissue_threshold"] = (long)mask.Threshold,
                ["dropped_low_tissue"] = dropped[DropReason.LowTissue],
                ["dropped_background"] = dropped[DropReason.Background],
                ["dropped_blur"] = dropped[DropReason.Blur],
                ["backend"] = slide.Backend.ToString(),
                ["settings"] = key,
            };
            CoordinatesFile.Write(staged.File(h5), coords, attrs);
            staged.Commit(); // the h5 was staged last: its presence marks the slide as finished
            return new SlideTilingResult
            {
                Path = slidePath, Tiles = kept.Length, Dropped = dropped, Seconds = clock.Elapsed.TotalSeconds, H5 = h5,
                MaskPng = maskPng, GeoJson = geojson, Level = grid.Level, EffectiveMpp = grid.EffectiveMpp,
            };
        }
        catch when (createdOutDir)
        {
            // The staged files are gone (disposed); a folder this call created and left empty goes too.
            if (Directory.Exists(outDir) && !Directory.EnumerateFileSystemEntries(outDir).Any()) Directory.Delete(outDir);
            throw;
        }
    }

    private static SlideTilingResult? TryResume(string h5, string key)
    {
        try
        {
            var existing = CoordinatesFile.Read(h5);
            if (!existing.Attributes.TryGetValue("settings", out var s) || s as string != key) return null;
            long Get(string name) => existing.Attributes.TryGetValue(name, out var v) ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : 0;
            return new SlideTilingResult
            {
                Path = "", Tiles = existing.Count, Resumed = true,
                Level = (int)existing.PatchLevel,
                EffectiveMpp = existing.Attributes.TryGetValue("effective_mpp", out var e) ? Convert.ToDouble(e, CultureInfo.InvariantCulture) : 0,
                Dropped = new SortedDictionary<string, long>(StringComparer.Ordinal)
                {
                    [DropReason.LowTissue] = Get("dropped_low_tissue"),
                    [DropReason.Background] = Get("dropped_background"),
                    [DropReason.Blur] = Get("dropped_blur"),
                },
            };
        }
        catch (UserInputException)
        {
            return null; // unreadable: redo it
        }
    }

    // Temporaries an interrupted earlier run left for this output.
    private static void RemoveStaleTemporaries(string output)
    {
        var dir = System.IO.Path.GetDirectoryName(output)!;
        foreach (var f in Directory.EnumerateFiles(dir, FileNames.TemporaryPattern(output))) File.Delete(f);
        foreach (var d in Directory.EnumerateDirectories(dir, FileNames.TemporaryPattern(output))) Directory.Delete(d, recursive: true);
    }

    public static void WriteMaskPng(TissueMask mask, string path)
    {
        var rgb = new byte[mask.Width * mask.Height * 3];
        for (int i = 0; i < mask.Pixels.Length; i++) if (mask.Pixels[i]) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = 255;
        ImageCodec.WritePng(new RgbImage(mask.Width, mask.Height, rgb), path);
    }
}
