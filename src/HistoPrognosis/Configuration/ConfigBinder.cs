using System.Collections;
using System.Globalization;
using System.Reflection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HistoPrognosis.Configuration;

/// <summary>
/// Binds a YAML (or JSON, which YAML reads too) document onto a config record, key by key, starting from the
/// record's own defaults (so defaults live only in the records). Strict like STAMP's <c>extra="forbid"</c>: an
/// unknown key is refused with its line and the nearest valid name; a value of the wrong type names the key and
/// the expected type. Relative paths are resolved against the config file's folder by the caller's records.
/// </summary>
public static class ConfigBinder
{
    public static T Load<T>(string path) where T : class, new()
    {
        if (!File.Exists(path)) throw new UserInputException($"config file not found: {path}");
        return Parse<T>(File.ReadAllText(path), path);
    }

    public static T Parse<T>(string text, string source) where T : class, new()
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new UserInputException($"{source}, line {ex.Start.Line}: not valid YAML or JSON ({ex.InnerException?.Message ?? ex.Message})", ex);
        }
        var target = new T();
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" }) return target;
        if (stream.Documents.Count > 1) throw new UserInputException($"{source}: holds {stream.Documents.Count} YAML documents; a run config is one");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new UserInputException($"{source}, line {stream.Documents[0].RootNode.Start.Line}: a run config is a mapping of sections (key: value)");
        BindSection(target, root, "", source);
        return target;
    }

    private static void BindSection(object target, YamlMappingNode node, string prefix, string source)
    {
        var properties = ConfigNames.Properties(target.GetType()).ToDictionary(p => ConfigNames.Key(p.Name), StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in node.Children)
        {
            var key = keyNode is YamlScalarNode s ? s.Value ?? "" : throw Error(source, keyNode, $"keys must be plain names{(prefix.Length > 0 ? $" under '{prefix.TrimEnd('.')}'" : "")}");
            var full = prefix + key;
            if (!seen.Add(key)) throw Error(source, keyNode, $"key '{full}' is given twice");
            if (!properties.TryGetValue(key, out var property))
                throw Error(source, keyNode, $"unknown key '{full}'{ConfigNames.Suggest(key, properties.Keys)} (valid here: {string.Join(", ", properties.Keys)})");
            var type = property.PropertyType;
            if (ConfigNames.IsSection(type) && Nullable.GetUnderlyingType(type) is null)
            {
                if (valueNode is YamlScalarNode { Value: null or "" or "~" or "null" } && valueNode is YamlScalarNode { Style: ScalarStyle.Plain }) continue; // an empty section keeps its defaults
                if (valueNode is not YamlMappingNode mapping) throw Error(source, valueNode, $"key '{full}' is a section: expected a mapping of its keys");
                var section = property.GetValue(target) ?? Activator.CreateInstance(type)!;
                BindSection(section, mapping, full + ".", source);
                property.SetValue(target, section);
                continue;
            }
            property.SetValue(target, Convert(valueNode, type, full, source));
        }
    }

    /// <param name="at">the node whose line errors name (a comma-separated list's items have none of their own)</param>
    private static object? Convert(YamlNode node, Type type, string key, string source, YamlNode? at = null)
    {
        at ??= node;
        var underlying = Nullable.GetUnderlyingType(type);
        bool nullable = underlying is not null || !type.IsValueType;
        var target = underlying ?? type;
        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" })
        {
            if (nullable && !ConfigNames.IsList(target)) return null;
            if (ConfigNames.IsList(target)) return MakeList(target, []);
            throw Error(source, at, $"key '{key}' needs {Describe(target)}, got nothing");
        }
        if (ConfigNames.IsList(target))
        {
            var element = target.GetGenericArguments()[0];
            IEnumerable<YamlNode> items = node switch
            {
                YamlSequenceNode sequence => sequence.Children,
                // a comma-separated scalar as on the command line: aggregators: mean,abmil
                YamlScalarNode scalar => (scalar.Value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(v => (YamlNode)new YamlScalarNode(v)),
                _ => throw Error(source, node, $"key '{key}' needs a list of {Describe(element)}"),
            };
            return MakeList(target, items.Select((item, i) => Convert(item, element, $"{key}[{i}]", source, node)).ToList());
        }
        if (node is not YamlScalarNode { Value: { } text }) throw Error(source, at, $"key '{key}' needs {Describe(target)}, got a {(node is YamlMappingNode ? "mapping" : "list")}");
        var inv = CultureInfo.InvariantCulture;
        object? value = target switch
        {
            _ when target == typeof(string) => text,
            _ when target == typeof(int) => int.TryParse(text, NumberStyles.Integer, inv, out var i) ? i : null,
            _ when target == typeof(long) => long.TryParse(text, NumberStyles.Integer, inv, out var l) ? l : null,
            _ when target == typeof(double) => ParseDouble(text),
            _ when target == typeof(bool) => text.ToLowerInvariant() switch { "true" or "yes" or "on" => true, "false" or "no" or "off" => false, _ => null },
            _ when target.IsEnum => ConfigNames.TryParse(target, text, out var e) ? e : null,
            _ => throw new InvalidOperationException($"config type {target} of key '{key}' is not bindable"),
        };
        if (value is null)
            throw Error(source, at, $"key '{key}' needs {Describe(target)}, got '{text}'{(target.IsEnum ? ConfigNames.Suggest(text, ConfigNames.Values(target)) : "")}");
        return value;
    }

    private static double? ParseDouble(string text) => text.ToLowerInvariant() switch
    {
        ".nan" or "nan" => double.NaN,
        ".inf" or "inf" or "+.inf" => double.PositiveInfinity,
        "-.inf" or "-inf" => double.NegativeInfinity,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
    };

    private static object MakeList(Type listType, IReadOnlyList<object?> items)
    {
        var element = listType.GetGenericArguments()[0];
        var array = Array.CreateInstance(element, items.Count);
        for (int i = 0; i < items.Count; i++) array.SetValue(items[i], i);
        if (listType.GetGenericTypeDefinition() == typeof(List<>)) return Activator.CreateInstance(listType, array)!;
        return array;
    }

    public static string Describe(Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        return target switch
        {
            _ when target == typeof(string) => "a text",
            _ when target == typeof(int) || target == typeof(long) => "an integer",
            _ when target == typeof(double) => "a number",
            _ when target == typeof(bool) => "true or false",
            _ when target.IsEnum => $"one of {string.Join(" | ", ConfigNames.Values(target))}",
            _ when ConfigNames.IsList(target) => $"a list of {Describe(target.GetGenericArguments()[0])}",
            _ => target.Name,
        };
    }

    private static UserInputException Error(string source, YamlNode node, string message) =>
        new($"{source}, line {node.Start.Line}: {message}");
}
