namespace HistoPrognosis.Data;

/// <summary>
/// One patch: its image file (absolute), patient, label when the table has one (1 = IDC), and its position in the
/// slide (columns <c>x, y</c>) when the table has them.
/// </summary>
public sealed record PatchRecord(string Path, string PatientId, int? Label, int Line, long? X = null, long? Y = null);

/// <summary>
/// A patch table (<c>path, patient_id[, label]</c>, more columns allowed). Paths are relative to the table's folder.
/// </summary>
public sealed class PatchTable
{
    private PatchTable(string path, IReadOnlyList<PatchRecord> patches)
    {
        SourcePath = path;
        Patches = patches;
    }

    public string SourcePath { get; }
    public IReadOnlyList<PatchRecord> Patches { get; }

    /// <summary>Patient ids in a stable order (numeric when all are numbers, else ordinal).</summary>
    public IReadOnlyList<string> PatientIds => StableOrder(Patches.Select(p => p.PatientId).Distinct());

    /// <param name="requireLabel">Training needs labels; prediction must never read them.</param>
    public static PatchTable Load(string path, bool requireLabel)
    {
        var table = CsvTable.Read(path);
        int pathColumn = table.RequireColumn("path");
        int patientColumn = table.RequireColumn("patient_id");
        int? labelColumn = requireLabel ? table.RequireColumn("label") : null;
        int? xColumn = table.OptionalColumn("x"), yColumn = table.OptionalColumn("y");
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
            patches.Add(new PatchRecord(System.IO.Path.GetFullPath(System.IO.Path.Combine(root, relative)), patient, label, line, x, y));
        }
        if (patches.Count == 0) throw new UserInputException($"{path}: no patches (the table has a header only)");
        return new PatchTable(path, patches);
    }

    public PatchTable Subset(IEnumerable<string> patientIds)
    {
        var keep = patientIds.ToHashSet();
        return new PatchTable(SourcePath, Patches.Where(p => keep.Contains(p.PatientId)).ToList());
    }

    public static IReadOnlyList<string> StableOrder(IEnumerable<string> ids)
    {
        var list = ids.ToList();
        return list.All(id => long.TryParse(id, out _))
            ? list.OrderBy(long.Parse).ToList()
            : list.OrderBy(id => id, StringComparer.Ordinal).ToList();
    }
}
