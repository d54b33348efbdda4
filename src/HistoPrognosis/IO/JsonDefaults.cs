using System.Text.Json;
using System.Text.Json.Serialization;

namespace HistoPrognosis.IO;

/// <summary>
/// The one JSON shape of every file the product writes or reads: snake_case names, enums as their config values,
/// NaN and infinities allowed (an undefined statistic stays visible), indented.
/// </summary>
public static class JsonDefaults
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(Configuration.ConfigNames.EnumPolicy) },
    };
}
