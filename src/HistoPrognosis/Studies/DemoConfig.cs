using System.Text.Json;
using System.Text.Json.Serialization;
using HistoPrognosis.Mil;
using HistoPrognosis.Training;

namespace HistoPrognosis.Studies;

/// <summary>The demo's settings: data, split, and one record per stage. Bound from JSON (snake_case) when given.</summary>
public sealed record DemoConfig
{
    /// <summary>Patch table (<c>path, patient_id, label</c>); paths relative to its folder.</summary>
    public string Labels { get; init; } = "";
    public int Seed { get; init; } = 7;
    public double ValidationFraction { get; init; } = 0.2;
    public double TestFraction { get; init; } = 0.3;
    /// <summary>Use only the first N patients in stable order (0 = all): for quick runs and tests.</summary>
    public int MaxPatients { get; init; }
    public int BootstrapSamples { get; init; } = 1000;
    public FinetuneConfig Finetune { get; init; } = new();
    public MilConfig Mil { get; init; } = new();

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static DemoConfig LoadJson(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"config file not found: {path}");
        try
        {
            return JsonSerializer.Deserialize<DemoConfig>(File.ReadAllText(path), Json)
                   ?? throw new UserInputException($"{path}: empty config");
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{path}: invalid config ({ex.Message})", ex);
        }
    }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Labels)) throw new UserInputException("no patch table given (labels)");
        if (BootstrapSamples < 0) throw new UserInputException($"bootstrap_samples must be ≥ 0, got {BootstrapSamples}");
        Finetune.Validate();
        Mil.Validate();
    }
}
