using HistoPrognosis.Data;

namespace HistoPrognosis.Survival;

/// <summary>
/// A CSV file of subjects (header row, one subject per record) read for the survival statistics. Handles R's
/// <c>write.csv</c> output: quoted fields and headers, doubled quotes, CRLF, a UTF-8 BOM. Values are read by
/// <see cref="CsvTable"/>, the reader of every table, so times and events mean here what they mean for a cohort; every
/// conversion error is a <see cref="UserInputException"/> naming the file, the row (its 1-based line) and the column.
/// </summary>
public sealed class SurvivalTable
{
    private readonly Dictionary<string, int> _index;
    private readonly CsvTable _table;

    private SurvivalTable(CsvTable table)
    {
        _table = table;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < table.Headers.Count; c++) _index.TryAdd(table.Headers[c], c);
    }

    public string FilePath => _table.Path;
    public IReadOnlyList<string> Columns => _table.Headers;
    public int RowCount => _table.Rows.Count;

    public static SurvivalTable Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"{path}: file not found.");
        return new SurvivalTable(CsvTable.Read(path));
    }

    public static SurvivalTable Parse(string text, string path) => new(CsvTable.Parse(new StringReader(text), path));

    public bool HasColumn(string name) => _index.ContainsKey(name);

    /// <summary>Finite numbers of a column (risks, covariates).</summary>
    public double[] Numbers(string column) => Column(column, _table.Number);

    /// <summary>Follow-up times: finite and ≥ 0, read as the cohorts of the model commands are (<see cref="CsvTable.Time"/>).</summary>
    public double[] Times(string column) => Column(column, _table.Time);

    /// <summary>Event indicators: 1 = event, 0 = censored; anything else is an error (<see cref="CsvTable.Event"/>).</summary>
    public bool[] Events(string column) => Column(column, _table.Event);

    /// <summary>Raw trimmed strings; empty values are errors.</summary>
    public string[] Strings(string column) => Column(column, (r, c) =>
        _table.Text(r, c) is { Length: > 0 } s ? s : throw _table.Error(r, c, "empty (missing values are not allowed)"));

    private T[] Column<T>(string column, Func<int, int, T> read)
    {
        int c = ColumnIndex(column);
        var values = new T[RowCount];
        for (int r = 0; r < RowCount; r++) values[r] = read(r, c);
        return values;
    }

    /// <summary>The 1-based file line of data row <paramref name="row"/> (0-based).</summary>
    public int LineOf(int row) => _table.Rows[row].Line;

    private int ColumnIndex(string column) =>
        _index.TryGetValue(column, out int c)
            ? c
            : throw new UserInputException($"{FilePath}: no column '{column}' (columns: {string.Join(", ", Columns)}).");
}
