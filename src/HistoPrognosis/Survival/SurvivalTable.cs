using System.Globalization;
using System.Text;

namespace HistoPrognosis.Survival;

/// <summary>
/// A CSV file of subjects (header row, one subject per record) read for the survival statistics. Handles R's
/// <c>write.csv</c> output: quoted fields and headers, doubled quotes, CRLF, a UTF-8 BOM. Every conversion error is a
/// <see cref="UserInputException"/> naming the file, the 1-based line and the column.
/// </summary>
public sealed class SurvivalTable
{
    private readonly Dictionary<string, int> _index;
    private readonly List<string[]> _rows;
    private readonly List<int> _lines;

    private SurvivalTable(string path, string[] columns, List<string[]> rows, List<int> lines)
    {
        FilePath = path; Columns = columns; _rows = rows; _lines = lines;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < columns.Length; c++) _index.TryAdd(columns[c], c);
    }

    public string FilePath { get; }
    public IReadOnlyList<string> Columns { get; }
    public int RowCount => _rows.Count;

    public static SurvivalTable Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"{path}: file not found.");
        return Parse(File.ReadAllText(path), path);
    }

    public static SurvivalTable Parse(string text, string path)
    {
        var records = new List<(string[] Fields, int Line)>();
        ParseRecords(text, path, records);
        if (records.Count == 0) throw new UserInputException($"{path}: the file is empty (no header row).");
        string[] header = records[0].Fields.Select(h => h.Trim()).ToArray();
        var rows = new List<string[]>();
        var lines = new List<int>();
        for (int r = 1; r < records.Count; r++)
        {
            var (fields, line) = records[r];
            if (fields.Length == 1 && fields[0].Length == 0) continue;   // blank line
            if (fields.Length != header.Length)
                throw new UserInputException($"{path}, line {line}: {fields.Length} fields but the header has {header.Length}.");
            rows.Add(fields);
            lines.Add(line);
        }
        return new SurvivalTable(path, header, rows, lines);
    }

    public bool HasColumn(string name) => _index.ContainsKey(name);

    /// <summary>Finite numbers; with <paramref name="nonNegative"/> also ≥ 0 (for times).</summary>
    public double[] Numbers(string column, bool nonNegative = false)
    {
        int c = ColumnIndex(column);
        var values = new double[_rows.Count];
        for (int r = 0; r < _rows.Count; r++)
        {
            string s = _rows[r][c].Trim();
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
        var values = new bool[_rows.Count];
        for (int r = 0; r < _rows.Count; r++)
        {
            string s = _rows[r][c].Trim();
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
        var values = new string[_rows.Count];
        for (int r = 0; r < _rows.Count; r++)
        {
            string s = _rows[r][c].Trim();
            if (s.Length == 0) throw Error(r, column, "empty value (missing values are not allowed)");
            values[r] = s;
        }
        return values;
    }

    /// <summary>The 1-based file line of data row <paramref name="row"/> (0-based).</summary>
    public int LineOf(int row) => _lines[row];

    private int ColumnIndex(string column) =>
        _index.TryGetValue(column, out int c)
            ? c
            : throw new UserInputException($"{FilePath}: no column '{column}' (columns: {string.Join(", ", Columns)}).");

    private UserInputException Error(int row, string column, string what) =>
        new($"{FilePath}, line {_lines[row]}, column '{column}': {what}.");

    private static void ParseRecords(string text, string path, List<(string[], int)> records)
    {
        int i = 0, line = 1;
        if (text.Length > 0 && text[0] == '\uFEFF') i = 1;
        var fields = new List<string>();
        var field = new StringBuilder();
        while (i < text.Length)
        {
            int recordLine = line;
            fields.Clear();
            while (true)
            {
                field.Clear();
                if (i < text.Length && text[i] == '"')
                {
                    int quoteLine = line;
                    i++;
                    while (true)
                    {
                        if (i >= text.Length) throw new UserInputException($"{path}, line {quoteLine}: unterminated quoted field.");
                        char ch = text[i++];
                        if (ch == '"')
                        {
                            if (i < text.Length && text[i] == '"') { field.Append('"'); i++; }
                            else break;
                        }
                        else
                        {
                            if (ch == '\n') line++;
                            field.Append(ch);
                        }
                    }
                    while (i < text.Length && text[i] is ' ' or '\t') i++;
                    if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                        throw new UserInputException($"{path}, line {line}: unexpected text after a closing quote.");
                }
                else
                {
                    while (i < text.Length && text[i] is not (',' or '\r' or '\n')) field.Append(text[i++]);
                }
                fields.Add(field.ToString());
                if (i < text.Length && text[i] == ',') { i++; continue; }
                break;
            }
            if (i < text.Length && text[i] == '\r') i++;
            if (i < text.Length && text[i] == '\n') { i++; line++; }
            records.Add((fields.ToArray(), recordLine));
        }
    }
}
