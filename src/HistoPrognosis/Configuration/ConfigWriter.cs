using System.Collections;
using System.Globalization;
using System.Text;

namespace HistoPrognosis.Configuration;

/// <summary>
/// Writes a config record as YAML with every bound key (defaults included), in declaration order, so the file
/// read back by <see cref="ConfigBinder"/> gives the same record: the resolved <c>run-config.yaml</c> of a run.
/// </summary>
public static class ConfigWriter
{
    public static string ToYaml(object config, string? header = null)
    {
        var text = new StringBuilder();
        if (header is not null)
            foreach (var line in header.Split('\n')) text.Append("# ").AppendLine(line);
        Write(text, config, 0);
        return text.ToString();
    }

    private static void Write(StringBuilder text, object section, int indent)
    {
        foreach (var property in ConfigNames.Properties(section.GetType()))
        {
            var value = property.GetValue(section);
            var pad = new string(' ', indent);
            var key = ConfigNames.Key(property.Name);
            if (value is not null && ConfigNames.IsSection(property.PropertyType))
            {
                text.Append(pad).Append(key).AppendLine(":");
                Write(text, value, indent + 2);
            }
            else text.Append(pad).Append(key).Append(": ").AppendLine(Scalar(value));
        }
    }

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        string s => Quote(s),
        bool b => b ? "true" : "false",
        double d when double.IsNaN(d) => ".nan",
        double d when double.IsPositiveInfinity(d) => ".inf",
        double d when double.IsNegativeInfinity(d) => "-.inf",
        // "R" keeps every bit; a whole number still reads as a number, not an integer-only key.
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        Enum e => ConfigNames.Value(e.GetType(), e),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(Scalar)) + "]",
        _ => throw new InvalidOperationException($"cannot write {value.GetType()} as a config value"),
    };

    /// <summary>Double-quoted YAML string (always quoted, so '1', 'true' or 'null' stay text).</summary>
    private static string Quote(string s)
    {
        var text = new StringBuilder("\"");
        foreach (var c in s)
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return text.Append('"').ToString();
    }
}
