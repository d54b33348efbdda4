namespace HistoPrognosis.Data;

/// <summary>
/// One patch: its image file (absolute), patient, label when the table has one (1 = IDC), and its position in the
/// slide (columns <c>x, y</c>, level 0) when the table has them. With a <see cref="Region"/> the pixels are read from
/// a slide instead and <see cref="Path"/> names the slide. <see cref="MaxPixels"/> is the largest image file its decode
/// accepts (<c>input.max_image_pixels</c>): it travels with the record so that every reader of the table applies it.
/// </summary>
public sealed record PatchRecord(string Path, string PatientId, int? Label, int Line, long? X = null, long? Y = null, SlideRegion? Region = null,
    string? Table = null, long MaxPixels = Imaging.ImageCodec.DefaultMaxPixels);

/// <summary>
/// A patch table (<c>path, patient_id[, label]</c>, more columns allowed). Relative paths are resolved against the
/// table's folder, <c>..</c> included, and absolute paths are taken as they are: the table is the user's own, read with
/// the user's rights, so a path outside its folder (e.g. a shared image store) is allowed, and one that is not an image
/// fails naming the row and the resolved path.
/// A row with a non-empty <c>read_size</c> is a slide region: <c>path</c> names the slide and <c>x, y</c> (level 0),
/// <c>level</c>, <c>read_size</c>, optional <c>tile_size</c> (default read_size), <c>slide_index</c> (default 0) and
/// <c>slide_mpp</c> say what to read (the table <see cref="SlideManifest.Tile"/> writes).
/// </summary>
public sealed class PatchTable
{
    private PatchTable(string path, IReadOnlyList<PatchRecord> patches, long maxImagePixels)
    {
        SourcePath = path;
        Patches = patches;
        MaxImagePixels = maxImagePixels;
    }

    public string SourcePath { get; }

    /// <summary>The largest image its readers decode (<c>input.max_image_pixels</c>), for the stain target as for patches.</summary>
    public long MaxImagePixels { get; }
    public IReadOnlyList<PatchRecord> Patches { get; }

    /// <summary>Patient ids in a stable order (numeric when all are numbers, else ordinal).</summary>
    public IReadOnlyList<string> PatientIds => StableOrder(Patches.Select(p => p.PatientId).Distinct());

    /// <param name="requireLabel">Training needs labels; prediction must never read them.</param>
    /// <param name="maxImagePixels">the largest patch image decoded (<c>input.max_image_pixels</c>)</param>
    public static PatchTable Load(string path, bool requireLabel, long maxImagePixels = Imaging.ImageCodec.DefaultMaxPixels)
    {
        var table = CsvTable.Read(path);
        int pathColumn = table.RequireColumn("path");
        int patientColumn = table.RequireColumn("patient_id");
        int? labelColumn = requireLabel ? table.RequireColumn("label") : null;
        int? xColumn = table.OptionalColumn("x"), yColumn = table.OptionalColumn("y");
        int? readSizeColumn = table.OptionalColumn("read_size"), levelColumn = table.OptionalColumn("level"), tileSizeColumn = table.OptionalColumn("tile_size");
        int? slideIndexColumn = table.OptionalColumn("slide_index"), slideMppColumn = table.OptionalColumn("slide_mpp");
        var root = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var patches = new List<PatchRecord>(table.Rows.Count);
        for (int r = 0; r < table.Rows.Count; r++)
        {
            int line = table.Rows[r].Line;
            var relative = table.Text(r, pathColumn);
            var patient = table.Text(r, patientColumn);
            if (relative.Length == 0) throw new UserInputException($"{path}, row {line}, column 'path': empty");
            if (patient.Length == 0) throw new UserInputException($"{path}, row {line}, column 'patient_id': empty");
            int? label = null;
            if (labelColumn is int lc)
            {
                var text = table.Text(r, lc);
                label = text switch
                {
                    "0" => 0,
                    "1" => 1,
                    _ => throw new UserInputException($"{path}, row {line}, column 'label': '{text}' is not 0 or 1"),
                };
            }
            long? x = xColumn is int xc ? (long)table.Number(r, xc) : null;
            long? y = yColumn is int yc ? (long)table.Number(r, yc) : null;
            var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, relative));
            SlideRegion? region = null;
            if (readSizeColumn is int rc && table.Text(r, rc).Length > 0)
            {
                if (xColumn is null || yColumn is null) throw new UserInputException($"{path}, row {line}: a slide region (column 'read_size') needs columns 'x' and 'y'");
                if (levelColumn is null) throw new UserInputException($"{path}, row {line}: a slide region (column 'read_size') needs column 'level'");
                if (x < 0 || y < 0) throw new UserInputException($"{path}, row {line}, columns 'x', 'y': ({x}, {y}) is outside the slide");
                int readSize = Integer(table, r, rc, 1);
                int tileSize = tileSizeColumn is int tc && table.Text(r, tc).Length > 0 ? Integer(table, r, tc, 1) : readSize;
                int slideIndex = slideIndexColumn is int sc && table.Text(r, sc).Length > 0 ? Integer(table, r, sc, 0) : 0;
                double? mpp = slideMppColumn is int mc && table.Text(r, mc).Length > 0 ? table.Number(r, mc) : null;
                if (mpp <= 0) throw new UserInputException($"{path}, row {line}, column 'slide_mpp': {mpp} is not a positive number");
                region = new SlideRegion(full, slideIndex, Integer(table, r, levelColumn.Value, 0), readSize, tileSize, mpp);
            }
            patches.Add(new PatchRecord(full, patient, label, line, x, y, region, path, maxImagePixels));
        }
        if (patches.Count == 0) throw new UserInputException($"{path}: no patches (the table has a header only)");
        return new PatchTable(path, patches, maxImagePixels);
    }

    private static int Integer(CsvTable table, int row, int column, int min)
    {
        double value = table.Number(row, column);
        if (value != Math.Floor(value) || value < min || value > int.MaxValue)
            throw new UserInputException($"{table.Path}, row {table.Rows[row].Line}, column '{table.Headers[column]}': '{table.Text(row, column)}' is not a whole number ≥ {min}");
        return (int)value;
    }

    public PatchTable Subset(IEnumerable<string> patientIds)
    {
        var keep = patientIds.ToHashSet();
        return new PatchTable(SourcePath, Patches.Where(p => keep.Contains(p.PatientId)).ToList(), MaxImagePixels);
    }

    public static IReadOnlyList<string> StableOrder(IEnumerable<string> ids)
    {
        var list = ids.ToList();
        return list.All(id => long.TryParse(id, out _))
            ? list.OrderBy(long.Parse).ToList()
            : list.OrderBy(id => id, StringComparer.Ordinal).ToList();
    }
}
