using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace HistoPrognosis.IO;

/// <summary>
/// The one CSV writer of the product (CsvHelper, RFC 4180 quoting, invariant culture, doubles round-trippable),
/// written atomically. Cells are strings, numbers or null; booleans are written as 0/1 like the cohort tables read them.
/// </summary>
public static class CsvFile
{
    private static readonly CsvConfiguration Configuration = new(CultureInfo.InvariantCulture) { NewLine = "\n" };

    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows) =>
        AtomicFile.Write(path, temp =>
        {
            using var writer = new StreamWriter(temp, append: false, new System.Text.UTF8Encoding(false));
            using var csv = new CsvWriter(writer, Configuration);
            foreach (var name in header) csv.WriteField(name);
            csv.NextRecord();
            foreach (var row in rows)
            {
                if (row.Count != header.Count) throw new ArgumentException($"row of {row.Count} cells for a header of {header.Count}");
                foreach (var cell in row) csv.WriteField(Format(cell));
                csv.NextRecord();
            }
        });

    private static string Format(object? cell) => cell switch
    {
        null => "",
        bool b => b ? "1" : "0",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString() ?? "",
    };
}
