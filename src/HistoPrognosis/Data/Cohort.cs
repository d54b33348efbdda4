namespace HistoPrognosis.Data;

/// <summary>One cohort row: follow-up when the table has it, the site, and the raw text of every other column.</summary>
public sealed record CohortPatient(string PatientId, double? TimeMonths, bool? Event, string? Site, int Line, IReadOnlyDictionary<string, string> Columns);

/// <summary>
/// A cohort table: <c>patient_id</c>, optionally <c>time_months, event</c> (required for training and evaluation),
/// <c>site</c> and clinical covariates. Ground-truth columns of a simulated cohort (<c>tumour_burden, eta</c>) are
/// kept as text like any column; only evaluation reads them, and <see cref="ClinicalEncoder"/> refuses them.
/// </summary>
public sealed class Cohort
{
    private Cohort(string path, IReadOnlyList<CohortPatient> patients, IReadOnlyList<string> columns)
    {
        SourcePath = path;
        Patients = patients;
        Columns = columns;
    }

    public string SourcePath { get; }
    public IReadOnlyList<CohortPatient> Patients { get; }
    public IReadOnlyList<string> Columns { get; }
    public bool HasOutcome => Patients.All(p => p.TimeMonths is not null);

    public double[] Time => Patients.Select(p => p.TimeMonths ?? throw new UserInputException($"{SourcePath}: patient {p.PatientId} has no time_months")).ToArray();
    public bool[] Events => Patients.Select(p => p.Event ?? throw new UserInputException($"{SourcePath}: patient {p.PatientId} has no event")).ToArray();

    /// <param name="requireOutcome">
    /// training and evaluation need <c>time_months</c> (≥ 0, see <see cref="CsvTable.Time"/>) and <c>event</c> on every row;
    /// prediction reads them only where given
    /// </param>
    public static Cohort Load(string path, bool requireOutcome)
    {
        var table = CsvTable.Read(path);
        int idColumn = table.RequireColumn("patient_id");
        int? timeColumn = requireOutcome ? table.RequireColumn("time_months") : table.OptionalColumn("time_months");
        int? eventColumn = requireOutcome ? table.RequireColumn("event") : table.OptionalColumn("event");
        if ((timeColumn is null) != (eventColumn is null))
            throw new UserInputException($"{path}: has '{(timeColumn is null ? "event" : "time_months")}' without '{(timeColumn is null ? "time_months" : "event")}'");
        int? siteColumn = table.OptionalColumn("site");
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var patients = new List<CohortPatient>(table.Rows.Count);
        for (int r = 0; r < table.Rows.Count; r++)
        {
            int line = table.Rows[r].Line;
            var id = table.Text(r, idColumn);
            if (id.Length == 0) throw new UserInputException($"{path}, row {line}, column 'patient_id': empty");
            if (!seen.TryAdd(id, line)) throw new UserInputException($"{path}, row {line}: duplicate patient_id '{id}' (first at row {seen[id]})");
            double? time = null;
            bool? @event = null;
            // A prediction cohort may leave the follow-up of new patients empty; what is given must be valid.
            if (timeColumn is int tc && eventColumn is int ec && (requireOutcome || table.Text(r, tc).Length > 0 || table.Text(r, ec).Length > 0))
            {
                time = table.Time(r, tc);
                @event = table.Event(r, ec);
            }
            var site = siteColumn is int sc ? table.Text(r, sc) : null;
            var columns = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (int c = 0; c < table.Headers.Count; c++) columns.TryAdd(table.Headers[c], table.Text(r, c));
            patients.Add(new CohortPatient(id, time, @event, site, line, columns));
        }
        // Too few patients or events for a stage is for that stage to say (its minimums name the config keys).
        if (patients.Count == 0) throw new UserInputException($"{path}: no patients (the table has a header only)");
        return new Cohort(path, patients, table.Headers.ToList());
    }

    public Cohort Subset(IEnumerable<string> patientIds)
    {
        var keep = patientIds.ToHashSet(StringComparer.Ordinal);
        return new Cohort(SourcePath, Patients.Where(p => keep.Contains(p.PatientId)).ToList(), Columns);
    }

    /// <summary>A numeric column for every patient (e.g. the simulation's <c>eta</c> for the oracle reference), or null when absent.</summary>
    public double[]? OptionalNumbers(string column)
    {
        if (!Columns.Contains(column, StringComparer.OrdinalIgnoreCase)) return null;
        return Patients.Select(p =>
        {
            var text = p.Columns[column];
            return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v : throw new UserInputException($"{SourcePath}, row {p.Line}, column '{column}': '{text}' is not a finite number");
        }).ToArray();
    }
}
