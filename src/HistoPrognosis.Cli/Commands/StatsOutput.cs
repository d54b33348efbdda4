using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HistoPrognosis.Cli.Commands;

/// <summary>
/// An ordered set of named results printed either as one JSON object (R's names; NaN becomes null) or as aligned
/// "name  value" lines for people. Values: numbers, strings, number arrays, or nested <see cref="StatsOutput"/>.
/// </summary>
internal sealed class StatsOutput
{
    private readonly List<(string Key, object? Value)> _items = [];

    public StatsOutput Add(string key, object? value)
    {
        _items.Add((key, value));
        return this;
    }

    public void Write(TextWriter writer, bool json)
    {
        if (json)
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
                WriteJson(w);
            writer.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            foreach (string line in TextLines("")) writer.WriteLine(line);
        }
    }

    private void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var (key, value) in _items)
        {
            w.WritePropertyName(key);
            WriteJsonValue(w, value);
        }
        w.WriteEndObject();
    }

    private static void WriteJsonValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case StatsOutput nested: nested.WriteJson(w); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case double d when double.IsFinite(d): w.WriteNumberValue(d); break;
            case double: w.WriteNullValue(); break;
            case System.Collections.IEnumerable list:
                w.WriteStartArray();
                foreach (object? item in list) WriteJsonValue(w, item);
                w.WriteEndArray();
                break;
            default: throw new InvalidOperationException($"Unsupported output value {value.GetType()}.");
        }
    }

    private IEnumerable<string> TextLines(string indent)
    {
        int width = _items.Count == 0 ? 0 : _items.Max(i => i.Key.Length);
        foreach (var (key, value) in _items)
        {
            if (value is StatsOutput nested)
            {
                yield return indent + key;
                foreach (string line in nested.TextLines(indent + "  ")) yield return line;
            }
            else
            {
                yield return indent + key.PadRight(width) + "  " + Format(value);
            }
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "NA",
        double d => double.IsNaN(d) ? "NA" : d.ToString("G10", CultureInfo.InvariantCulture),
        string s => s,
        System.Collections.IEnumerable list => string.Join(" ", list.Cast<object?>().Select(Format)),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
