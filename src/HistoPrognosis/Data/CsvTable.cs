using System.Text;

namespace HistoPrognosis.Data;

/// <summary>
/// A small RFC 4180 CSV reader (quoted fields, embedded commas/quotes/newlines) that keeps line numbers so every
/// error can name the file, row and column.
/// </summary>
public sealed class CsvTable
{
    private readonly Dictionary<string, int> _columns;

    private CsvTable(string path, string[] headers, List<(int Line, string[] Fields)> rows)
    {
        Path = path;
        Headers = headers;
        Rows = rows;
        _columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < headers.Length; i++) _columns.TryAdd(headers[i], i);
    }

    public string Path { get; }
    public IReadOnlyList<string> Headers { get; }

    /// <summary>Data rows with their 1-based line number in the file (the header is line 1).</summary>
    public IReadOnlyList<(int Line, string[] Fields)> Rows { get; }

    public static CsvTable Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"table not found: {path}");
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Parse(reader, path);
    }

    /// <summary>Parses CSV text; <paramref name="path"/> only names the source in error messages.</summary>
    public static CsvTable Parse(TextReader reader, string path)
    {
        if (reader.Peek() == '\uFEFF') reader.Read(); // a BOM that no StreamReader removed
        var records = Records(reader, path).ToList();
        if (records.Count == 0) throw new UserInputException($"{path}: empty file (no header row)");
        var headers = records[0].Fields.Select(h => h.Trim()).ToArray();
        var rows = new List<(int, string[])>();
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Length == 1 && fields[0].Length == 0) continue; // blank line
            if (fields.Length != headers.Length)
                throw new UserInputException($"{path}, line {line}: {fields.Length} fields, the header has {headers.Length}");
            rows.Add((line, fields));
        }
        return new CsvTable(path, headers, rows);
    }

    public bool HasColumn(string name) => _columns.ContainsKey(name);

    public int RequireColumn(string name) =>
        _columns.TryGetValue(name, out var index)
            ? index
            : throw new UserInputException($"{Path}: required column '{name}' is missing (columns: {string.Join(", ", Headers)})");

    public int? OptionalColumn(string name) => _columns.TryGetValue(name, out var index) ? index : null;

    public string Text(int row, int column) => Rows[row].Fields[column].Trim();

    public double Number(int row, int column)
    {
        var text = Text(row, column);
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw Error(row, column, text.Length == 0 ? "empty (missing values are not allowed)" : $"'{text}' is not a finite number");
        return value;
    }

    /// <summary>
    /// A follow-up time, read the same way for every table (cohorts for the model commands, <c>histoprog stats</c>):
    /// a finite number ≥ 0. Time 0 is kept, as R's <c>survival</c> keeps it (<c>coxph</c> and <c>survfit</c> accept
    /// it); a negative, missing or non-numeric time is refused naming the row.
    /// </summary>
    public double Time(int row, int column)
    {
        double value = Number(row, column);
        if (value < 0) throw Error(row, column, $"{Text(row, column)} is negative; follow-up times must be ≥ 0");
        return value;
    }

    /// <summary>An event indicator, read the same way for every table: 1 = event, 0 = censored (also written 1.0 / 0.0); anything else is refused.</summary>
    public bool Event(int row, int column)
    {
        var text = Text(row, column);
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || value is not (0 or 1))
            throw Error(row, column, text.Length == 0 ? "empty (missing values are not allowed)" : $"'{text}' is not 0 or 1 (0 = censored, 1 = event)");
        return value == 1;
    }

    /// <summary>An error naming the file, the row (its line in the file) and the column.</summary>
    public UserInputException Error(int row, int column, string what) => new($"{Path}, row {Rows[row].Line}, column '{Headers[column]}': {what}");

    private static IEnumerable<(int Line, string[] Fields)> Records(TextReader reader, string path)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1;
        bool inQuotes = false, fieldStarted = false, quoteClosed = false;
        int c;
        while ((c = reader.Read()) != -1)
        {
            char ch = (char)c;
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { field.Append('"'); reader.Read(); }
                    else { inQuotes = false; quoteClosed = true; }
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            if (quoteClosed && ch is not (',' or '\r' or '\n'))
            {
                if (ch is ' ' or '\t') continue; // padding after a quoted field
                throw new UserInputException($"{path}, line {line}: unexpected text after a closing quote");
            }
            quoteClosed = false;
            switch (ch)
            {
                case '"' when !fieldStarted || field.Length == 0:
                    inQuotes = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    yield return (recordLine, fields.ToArray());
                    fields.Clear();
                    field.Clear();
                    fieldStarted = false;
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(ch);
                    fieldStarted = true;
                    break;
            }
        }
        if (inQuotes) throw new UserInputException($"{path}, line {recordLine}: unterminated quoted field");
        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return (recordLine, fields.ToArray());
        }
    }
}
