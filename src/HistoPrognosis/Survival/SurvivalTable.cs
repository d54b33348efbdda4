using System.Globalization;
using HistoPrognosis.Data;

namespace HistoPrognosis.Survival;

/// <summary>
/// A CSV file of subjects (header row, one subject per record) read for the survival statistics. Handles R's
/// <c>write.csv</c> output: quoted fields and headers, doubled quotes, CRLF, a UTF-8 BOM. Every conversion error is a
/// <see cref="UserInputException"/> naming the file, the 1-based line and the column.
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

    /// <summary>Finite numbers; with <paramref name="nonNegative"/> also ≥ 0 (for times).</summary>
    public double[] Numbers(string column, bool nonNegative = false)
    {
        int c = ColumnIndex(column);
        var values = new double[RowCount];
        for (int r = 0; r < RowCount; r++)
        {
            string s = _table.Rows[r].Fields[c].Trim();
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                throw Error(r, column, s.Length == 0 ? "empty value (missing values are not allowed)" : $"'{s}' is not a finite number");
            if (nonNegative && v < 0) throw Error(r, column, $"{s} is negative; times must be ≥ 0");
            values[r] = v;
        }
        return values;
    }

    /// <summary>Event indicators: 1 = event, 0 = censored; anything else is an error.</summary>
    public bool[] Events(string column)
    {
        int c = ColumnIndex(column);
        var values = new bool[RowCount];
        for (int r = 0; r < RowCount; r++)
        {
            string s = _table.Rows[r].Fields[c].Trim();
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || (v != 0 && v != 1))
                throw Error(r, column, $"'{s}' is not a valid event status (expected 0 = censored or 1 = event)");
            values[r] = v == 1;
        }
        return values;
    }

    /// <summary>Raw trimmed strings; empty values are errors.</summary>
    public string[] Strings(string column)
    {
        int c = ColumnIndex(column);
        var values = new string[RowCount];
        for (int r = 0; r < RowCount; r++)
        {
            string s = _table.Rows[r].Fields[c].Trim();
            if (s.Length == 0) throw Error(r, column, "empty value (missing values are not allowed)");
            values[r] = s;
        }
        return values;
    }

    /// <summary>The 1-based file line of data row <paramref name="row"/> (0-based).</summary>
    public int LineOf(int row) => _table.Rows[row].Line;

    private int ColumnIndex(string column) =>
        _index.TryGetValue(column, out int c)
            ? c
            : throw new UserInputException($"{FilePath}: no column '{column}' (columns: {string.Join(", ", Columns)}).");

    private UserInputException Error(int row, string column, string what) =>
        new($"{FilePath}, line {_table.Rows[row].Line}, column '{column}': {what}.");
}
