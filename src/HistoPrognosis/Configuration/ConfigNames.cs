using System.Reflection;
using System.Text.Json;

namespace HistoPrognosis.Configuration;

/// <summary>Marks a property that a run config never binds (it is set from another section, e.g. the run's seed).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotConfiguredAttribute : Attribute;

/// <summary>
/// How config keys and enum values are spelt: snake_case keys from the property names, lower-case enum values
/// (<c>Binary5y</c> → <c>binary5y</c>, <c>OpenSlide</c> → <c>openslide</c>), parsed ignoring case, '-' and '_'.
/// </summary>
public static class ConfigNames
{
    /// <summary>Enum values as config and JSON files spell them.</summary>
    public static readonly JsonNamingPolicy EnumPolicy = new LowerCase();

    private sealed class LowerCase : JsonNamingPolicy
    {
        public override string ConvertName(string name) => name.ToLowerInvariant();
    }

    public static string Key(string propertyName) => JsonNamingPolicy.SnakeCaseLower.ConvertName(propertyName);

    public static string Value<TEnum>(TEnum value) where TEnum : struct, Enum => Value(typeof(TEnum), value);

    public static string Value(Type enumType, object value) => EnumPolicy.ConvertName(Enum.GetName(enumType, value)!);

    public static IReadOnlyList<string> Values(Type enumType) => Enum.GetValues(enumType).Cast<object>().Select(v => Value(enumType, v)).ToList();

    public static string Choices<TEnum>() where TEnum : struct, Enum => string.Join(" | ", Values(typeof(TEnum)));

    public static bool TryParse(Type enumType, string text, out object? value)
    {
        static string Fold(string s) => s.Replace("_", "").Replace("-", "").Trim().ToLowerInvariant();
        var wanted = Fold(text);
        foreach (var name in Enum.GetNames(enumType))
            if (Fold(name) == wanted)
            {
                value = Enum.Parse(enumType, name);
                return true;
            }
        value = null;
        return false;
    }

    /// <summary>Parses an enum value, or fails naming <paramref name="what"/> (a flag or key) and the valid values.</summary>
    public static TEnum Parse<TEnum>(string text, string what) where TEnum : struct, Enum =>
        TryParse(typeof(TEnum), text, out var value) ? (TEnum)value!
            : throw new UserInputException($"{what}: '{text}' is not one of {Choices<TEnum>()}{Suggest(text, Values(typeof(TEnum)))}");

    /// <summary>"; did you mean 'x'?" for the nearest candidate within a small edit distance, else empty.</summary>
    public static string Suggest(string text, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (Name: c, Distance: Levenshtein(text.ToLowerInvariant(), c))).OrderBy(c => c.Distance).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(2, best.Name.Length / 3) ? $"; did you mean '{best.Name}'?" : "";
    }

    public static int Levenshtein(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>The properties a config binds: public, settable (init), not marked <see cref="NotConfiguredAttribute"/>, in declaration order.</summary>
    public static IReadOnlyList<PropertyInfo> Properties(Type type) => type
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<NotConfiguredAttribute>() is null
                    && p.Name != "EqualityContract")
        .OrderBy(p => p.MetadataToken)
        .ToList();

    /// <summary>A section record (bound key by key) rather than a scalar or list.</summary>
    public static bool IsSection(Type type) =>
        type.IsClass && type != typeof(string) && !IsList(type) && type.GetConstructor(Type.EmptyTypes) is not null;

    public static bool IsList(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var g && (g == typeof(IReadOnlyList<>) || g == typeof(List<>) || g == typeof(IList<>));
}
