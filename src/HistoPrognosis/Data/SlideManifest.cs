using System.Globalization;
using HistoPrognosis.IO;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Data;

/// <summary>
/// One row of a slide manifest: a patient's slide (a patient may have several), with its level-0 µm/px when the
/// manifest's <c>mpp</c> column states it.
/// </summary>
public sealed record SlideEntry(string PatientId, string SlidePath, int Line, double? Mpp = null);

/// <summary>A slide left out of a run (<c>--skip-errors</c>): its manifest row and why.</summary>
public sealed record SlideFailure(int Line, string PatientId, string SlidePath, string Error);

/// <summary>
/// A slide manifest (<c>patient_id, slide_path[, mpp]</c>, more columns allowed; paths relative to the manifest's
/// folder): the whole-slide alternative to a patch table. <see cref="Tile"/> cuts every slide with the slide stage and
/// turns the kept tiles into the patients' patches — slide regions read straight from the slides, so no tile image is
/// written unless asked — and everything downstream (feature cache, MIL) is the same. A patient's patches are the
/// union of the tiles of all their slides.
/// </summary>
public static class SlideManifest
{
    public static IReadOnlyList<SlideEntry> Load(string path)
    {
        var table = CsvTable.Read(path);
        int patientColumn = table.RequireColumn("patient_id");
        int slideColumn = table.RequireColumn("slide_path");
        int? mppColumn = table.OptionalColumn("mpp");
        var root = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var entries = new List<SlideEntry>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < table.Rows.Count; r++)
        {
            int line = table.Rows[r].Line;
            var patient = table.Text(r, patientColumn);
            var slide = table.Text(r, slideColumn);
            if (patient.Length == 0) throw new UserInputException($"{path}, row {line}, column 'patient_id': empty");
            if (slide.Length == 0) throw new UserInputException($"{path}, row {line}, column 'slide_path': empty");
            double? mpp = null;
            if (mppColumn is int mc && table.Text(r, mc) is { Length: > 0 } text)
            {
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value <= 0)
                    throw new UserInputException($"{path}, row {line}, column 'mpp': '{text}' is not a positive number of µm per pixel");
                mpp = value;
            }
            var full = Path.GetFullPath(Path.Combine(root, slide));
            if (!File.Exists(full) && !Directory.Exists(full)) throw new UserInputException($"{path}, row {line}, column 'slide_path': {full} does not exist");
            if (seen.TryGetValue(full, out int first)) throw new UserInputException($"{path}, row {line}: slide {full} is already listed in row {first}");
            seen[full] = line;
            entries.Add(new SlideEntry(patient, full, line, mpp));
        }
        if (entries.Count == 0) throw new UserInputException($"{path}: no slides (the manifest has a header only)");
        return entries;
    }

    /// <summary>
    /// Tiles every slide into <paramref name="workDir"/> (one folder per manifest row; a rerun with the same settings
    /// reuses finished slides), reads each slide's coordinates file and returns its tiles, in coordinates order, as
    /// slide-region patches of the row's patient. Also writes <c>workDir/patches.csv</c> (<c>path, patient_id, slide,
    /// slide_index, x, y, level, read_size, tile_size, slide_mpp</c>; x, y at level 0), which
    /// <see cref="PatchTable.Load"/> reads back to the same patches. With <see cref="TilingOptions.SaveTiles"/> the
    /// tiles are also written as PNGs and the table lists those instead (its region columns left empty). A slide that
    /// cannot be read fails with its manifest row named.
    /// </summary>
    /// <param name="failures">when given, a slide that cannot be read or tiled is recorded here and left out instead of failing the run</param>
    public static PatchTable Tile(string manifestPath, string workDir, TilingOptions options, PipelineLog log, ICollection<SlideFailure>? failures = null)
    {
        var entries = Load(manifestPath);
        Directory.CreateDirectory(workDir);
        var rows = new List<object?[]>();
        var slidesOf = new Dictionary<string, int>(StringComparer.Ordinal);
        long total = 0;
        // Processes tiling one manifest into one folder (on any hosts) split the slides: each is claimed first; one claimed
        // elsewhere is tiled (or, finished there, reused) after the others, once its claim is free.
        var tiled = new (SlideTilingResult Result, TileCoordinates Coords)?[entries.Count];
        var heldElsewhere = new List<int>();
        for (int i = 0; i < entries.Count; i++)
        {
            using var claim = SharedClaim.TryTake(SlideFolder(workDir, i, entries[i]), SharedClaim.DefaultStaleAfter);
            if (claim is null) heldElsewhere.Add(i);
            else tiled[i] = TileOne(manifestPath, workDir, options, entries, i, log, failures);
        }
        foreach (int i in heldElsewhere)
        {
            using var claim = SharedClaim.Take(SlideFolder(workDir, i, entries[i]), SharedClaim.DefaultStaleAfter);
            tiled[i] = TileOne(manifestPath, workDir, options, entries, i, log, failures);
        }
        for (int i = 0; i < entries.Count; i++)
        {
            if (tiled[i] is not { } done) continue; // skipped: recorded in failures
            var (result, coords) = done;
            var entry = entries[i];
            int slideIndex = slidesOf.GetValueOrDefault(entry.PatientId);
            slidesOf[entry.PatientId] = slideIndex + 1;
            rows.AddRange(PatchRows(workDir, i, entry, coords, options, slideIndex));
            total += coords.Count;
            log.Info($"[{i + 1}/{entries.Count}] {entry.SlidePath}: {coords.Count} tiles for patient {entry.PatientId}{(result.Resumed ? " (reused)" : "")}");
        }
        if (total == 0) throw new UserInputException($"{manifestPath}: no slide produced a tissue tile at {options.TargetMpp} µm/px, {options.TileSize} px");
        var table = Path.Combine(workDir, "patches.csv");
        CsvFile.Write(table, PatchColumns, rows);
        return PatchTable.Load(table, requireLabel: false);
    }

    /// <summary>The columns of the patch table <see cref="Tile"/> writes.</summary>
    public static readonly string[] PatchColumns = ["path", "patient_id", "slide", "slide_index", "x", "y", "level", "read_size", "tile_size", "slide_mpp"];

    /// <summary>
    /// The patch-table rows of one tiled manifest row (its <paramref name="slideIndex"/>-th slide of the patient), in
    /// row-major order whatever wrote the coordinates file, so the patch order is deterministic.
    /// </summary>
    public static IEnumerable<object?[]> PatchRows(string workDir, int index, SlideEntry entry, TileCoordinates coords, TilingOptions options, int slideIndex)
    {
        string stem = SlideTiler.OutputStem(entry.SlidePath);
        string folder = Path.GetFileName(SlideFolder(workDir, index, entry));
        var slideOptions = options with { SlideMpp = entry.Mpp ?? options.SlideMpp };
        long readSize = coords.PatchSize, level = coords.PatchLevel;
        long tileSize = coords.Attributes.TryGetValue("tile_size", out var t) ? Convert.ToInt64(t, CultureInfo.InvariantCulture) : readSize;
        string slideName = Path.GetFileName(entry.SlidePath);
        var order = Enumerable.Range(0, coords.Count).OrderBy(k => coords.Coords[k, 1]).ThenBy(k => coords.Coords[k, 0]);
        foreach (int k in order)
        {
            long x = coords.Coords[k, 0], y = coords.Coords[k, 1];
            yield return slideOptions.SaveTiles
                ? [$"{folder}/{stem}_tiles/{x}_{y}.png", entry.PatientId, slideName, slideIndex, x, y, null, null, null, null]
                : [entry.SlidePath, entry.PatientId, slideName, slideIndex, x, y, level, readSize, tileSize, slideOptions.SlideMpp];
        }
    }

    /// <summary>The folder of manifest row <paramref name="index"/> (0-based) in the tiles folder.</summary>
    public static string SlideFolder(string workDir, int index, SlideEntry entry) =>
        Path.Combine(workDir, $"{index + 1:D4}-{SlideTiler.OutputStem(entry.SlidePath)}");

    /// <summary>Tiles one manifest row (reusing a finished folder); null when it failed and failures are collected.</summary>
    private static (SlideTilingResult, TileCoordinates)? TileOne(string manifestPath, string workDir, TilingOptions options, IReadOnlyList<SlideEntry> entries,
        int i, PipelineLog log, ICollection<SlideFailure>? failures)
    {
        var entry = entries[i];
        try
        {
            var result = SlideTiler.TileSlide(entry.SlidePath, SlideFolder(workDir, i, entry), options with { SlideMpp = entry.Mpp ?? options.SlideMpp });
            return (result, CoordinatesFile.Read(result.H5!));
        }
        catch (Exception ex) when (ex is UserInputException or InvalidDataException or IOException)
        {
            var message = $"{manifestPath}, row {entry.Line} ({entry.SlidePath}): {ex.Message}";
            if (failures is null) throw new UserInputException(message, ex);
            failures.Add(new SlideFailure(entry.Line, entry.PatientId, entry.SlidePath, ex.Message));
            log.Info($"[{i + 1}/{entries.Count}] skipped: {message}");
            return null;
        }
    }
}
