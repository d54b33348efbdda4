using System.Text.Json;
using System.Text.Json.Serialization;
using HistoPrognosis.IO;

namespace HistoPrognosis.Stain;

/// <summary>
/// A normalizer's fitted state as saved to JSON: the method, its settings, and what it learned from the target
/// (stain matrix and 99th-percentile concentrations, or LAB means and standard deviations for Reinhard).
/// </summary>
public sealed record StainFit
{
    public const string FormatName = "histoprognosis.stain-fit";
    public const int CurrentVersion = 1;

    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = CurrentVersion;
    public required string Method { get; init; }
    public Dictionary<string, double> Parameters { get; init; } = [];

    /// <summary>Rows H and E, columns R, G, B, in optical density.</summary>
    public double[][]? StainMatrix { get; init; }

    public double[]? MaxConcentrations { get; init; }

    /// <summary>Reinhard: target L, a, b means in TIAToolbox's scaling (L/2.55, a−128, b−128).</summary>
    public double[]? LabMean { get; init; }

    public double[]? LabStd { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes the fit atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }

    /// <summary>Reads a fit file; every failure is a <see cref="UserInputException"/> naming the file.</summary>
    public static StainFit Load(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"fit file not found: {path}");
        StainFit? fit;
        try
        {
            fit = JsonSerializer.Deserialize<StainFit>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{path}: not a stain fit file ({ex.Message})", ex);
        }
        if (fit is null || fit.Format != FormatName)
            throw new UserInputException($"{path}: not a stain fit file (expected format '{FormatName}')");
        if (fit.Version != CurrentVersion)
            throw new UserInputException($"{path}: stain fit version {fit.Version} is not supported (this build reads version {CurrentVersion})");
        return fit;
    }

    /// <summary>Throws when this fit was made by another method or with other settings.</summary>
    public void RequireCompatible(string method, IReadOnlyDictionary<string, double> parameters)
    {
        if (!string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
            throw new UserInputException($"the fit was made by method '{Method}', not '{method}'");
        foreach (var (name, value) in parameters)
            if (!Parameters.TryGetValue(name, out var saved) || saved != value)
                throw new UserInputException($"the fit's parameter '{name}' is {(Parameters.TryGetValue(name, out var s) ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "missing")}, expected {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }
}
