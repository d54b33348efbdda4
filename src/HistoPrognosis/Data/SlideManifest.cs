using System.Globalization;
using System.Text;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Data;

/// <summary>One row of a slide manifest: a patient's slide (a patient may have several).</summary>
public sealed record SlideEntry(string PatientId, string SlidePath, int Line);

/// <summary>
/// A slide manifest (<c>patient_id, slide_path</c>, more columns allowed; paths relative to the manifest's folder):
/// the whole-slide alternative to a patch table. <see cref="Tile"/> cuts every slide with the slide stage and turns
/// the kept tiles into the patients' patches, so everything downstream (feature cache, MIL) is the same.
/// </summary>
public static class SlideManifest
{
    public static IReadOnlyList<SlideEntry> Load(string path)
    {
        var table = CsvTable.Read(path);
        int patientColumn = table.RequireColumn("patient_id");
        int slideColumn = table.RequireColumn("slide_path");
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
            var full = Path.GetFullPath(Path.Combine(root, slide));
            if (!File.Exists(full) && !Directory.Exists(full)) throw new UserInputException($"{path}, row {line}, column 'slide_path': {full} does not exist");
            if (seen.TryGetValue(full, out int first)) throw new UserInputException($"{path}, row {line}: slide {full} is already listed in row {first}");
            seen[full] = line;
            entries.Add(new SlideEntry(patient, full, line));
        }
        if (entries.Count == 0) throw new UserInputException($"{path}: no slides (the manifest has a header only)");
        return entries;
    }

    /// <summary>
    /// Tiles every slide into <paramref name="workDir"/> (one folder per manifest row; a rerun with the same settings
    /// reuses finished slides) and writes <c>workDir/patches.csv</c> (<c>path, patient_id, slide, x, y</c>, level-0
    /// coordinates) listing every kept tile. A slide that cannot be read fails with its manifest row named.
    /// </summary>
    public static PatchTable Tile(string manifestPath, string workDir, TilingOptions options, PipelineLog log)
    {
        var entries = Load(manifestPath);
        Directory.CreateDirectory(workDir);
        var csv = new StringBuilder("path,patient_id,slide,x,y\n");
        int total = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            string stem = SlideTiler.OutputStem(entry.SlidePath);
            string folder = $"{i + 1:D4}-{stem}";
            SlideTilingResult result;
            try
            {
                result = SlideTiler.TileSlide(entry.SlidePath, Path.Combine(workDir, folder), options with { SaveTiles = true });
            }
            catch (Exception ex) when (ex is UserInputException or InvalidDataException or IOException)
            {
                throw new UserInputException($"{manifestPath}, row {entry.Line} ({entry.SlidePath}): {ex.Message}", ex);
            }
            var tiles = Path.Combine(workDir, folder, stem + "_tiles");
            var files = Directory.Exists(tiles) ? Directory.GetFiles(tiles, "*.png") : [];
            foreach (var (x, y) in files.Select(f => Coordinates(f)).Order())
                csv.Append(CultureInfo.InvariantCulture, $"{folder}/{stem}_tiles/{x}_{y}.png,{CsvTable.Quote(entry.PatientId)},{CsvTable.Quote(Path.GetFileName(entry.SlidePath))},{x},{y}\n");
            total += files.Length;
            log.Info($"[{i + 1}/{entries.Count}] {entry.SlidePath}: {files.Length} tiles for patient {entry.PatientId}{(result.Resumed ? " (reused)" : "")}");
        }
        if (total == 0) throw new UserInputException($"{manifestPath}: no slide produced a tissue tile at {options.TargetMpp} µm/px, {options.TileSize} px");
        var table = Path.Combine(workDir, "patches.csv");
        var temp = table + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(temp, csv.ToString());
        File.Move(temp, table, overwrite: true);
        return PatchTable.Load(table, requireLabel: false);
    }

    // Tiles are named <x>_<y>.png by the slide stage.
    private static (long X, long Y) Coordinates(string file)
    {
        var parts = Path.GetFileNameWithoutExtension(file).Split('_');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
