using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>
/// Builds a backbone from its command-line spelling: <c>imagenet-resnet18</c> (the shipped CNTK weights),
/// <c>scratch</c> (the same architecture, random), <c>resnet18|resnet34|resnet50</c> (torchvision layout, random)
/// or <c>resnetNN:FILE.safetensors</c> (torchvision layout with a user's PyTorch weights), or the output folder of
/// <c>histoprog finetune</c> (its architecture from <c>config.json</c>, its fine-tuned backbone from <c>model.safetensors</c>),
/// or a timm / Hugging Face ViT folder (<see cref="Vit.TimmFolder"/>), alone or as <c>PRESET:FOLDER</c> (<see cref="Vit.VitPresets"/>).
/// </summary>
public static class BackboneFactory
{
    public const string ImageNet = "imagenet-resnet18";
    public const string Scratch = "scratch";

    public static Backbone Create(string spec, long seed)
    {
        manual_seed(seed);
        var trimmed = spec.Trim();
        if (trimmed.Equals(ImageNet, StringComparison.OrdinalIgnoreCase)) return PretrainedWeights.LoadImageNetResNet18();
        if (trimmed.Equals(Scratch, StringComparison.OrdinalIgnoreCase)) return PretrainedWeights.CreateScratch(seed);
        var parts = trimmed.Split(':', 2);
        if (parts.Length == 2 && Vit.VitPresets.IsPreset(parts[0])) return Vit.VitPresets.Load(parts[0], parts[1]);
        int? depth = parts[0].ToLowerInvariant() switch { "resnet18" => 18, "resnet34" => 34, "resnet50" => 50, _ => null };
        if (depth is null)
            return !Directory.Exists(trimmed)
                ? throw new UserInputException($"unknown backbone '{spec}': use {ImageNet}, {Scratch}, resnet18|resnet34|resnet50 or resnetNN:FILE.safetensors, " +
                                               $"a timm model folder (config.json + model.safetensors), PRESET:FOLDER ({string.Join(", ", Vit.VitPresets.All.Select(p => p.Name))}), or a histoprog finetune output folder")
                : Vit.TimmFolder.Recognises(trimmed) ? Vit.TimmFolder.Load(trimmed) : FromFinetuneOutput(trimmed, seed);
        var backbone = new TorchvisionResNet(depth.Value);
        backbone.InitialiseRandomly();
        if (parts.Length == 2) SafetensorsWeights.Load(backbone, parts[1], "fc.");
        return backbone;
    }

    /// <summary>The spec with its file or folder made absolute against <paramref name="folder"/> (names stay as they are).</summary>
    public static string ResolvePaths(string spec, string folder)
    {
        var trimmed = spec.Trim();
        if (trimmed.Equals(ImageNet, StringComparison.OrdinalIgnoreCase) || trimmed.Equals(Scratch, StringComparison.OrdinalIgnoreCase)) return trimmed;
        var parts = trimmed.Split(':', 2);
        if (parts[0].ToLowerInvariant() is "resnet18" or "resnet34" or "resnet50" || (parts.Length == 2 && Vit.VitPresets.IsPreset(parts[0])))
            return parts.Length == 2 ? $"{parts[0]}:{Path.GetFullPath(Path.Combine(folder, parts[1]))}" : trimmed;
        return Path.GetFullPath(Path.Combine(folder, trimmed));
    }

    /// <summary>Whether a spec starts from pretrained weights (everything but random initialisation).</summary>
    public static bool IsPretrained(string spec) =>
        spec.Equals(ImageNet, StringComparison.OrdinalIgnoreCase) || spec.Contains(':') || (!spec.Equals(Scratch, StringComparison.OrdinalIgnoreCase) && Directory.Exists(spec.Trim()));

    private static Backbone FromFinetuneOutput(string directory, long seed)
    {
        string config = Path.Combine(directory, "config.json"), weights = Path.Combine(directory, "model.safetensors");
        if (!File.Exists(config) || !File.Exists(weights))
            throw new UserInputException($"backbone folder {directory}: expected the output of histoprog finetune (config.json and model.safetensors)");
        string? baseSpec;
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(config));
            baseSpec = json.RootElement.TryGetProperty("backbone", out var b) && b.ValueKind == System.Text.Json.JsonValueKind.String ? b.GetString() : null;
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new UserInputException($"{config}: not valid JSON ({ex.Message})", ex);
        }
        if (string.IsNullOrWhiteSpace(baseSpec)) throw new UserInputException($"{config}: field 'backbone' (the architecture it was fine-tuned from) is missing");
        if (Path.GetFullPath(baseSpec) == Path.GetFullPath(directory)) throw new UserInputException($"{config}: field 'backbone' names its own folder");
        var backbone = Create(baseSpec, seed);
        try
        {
            SafetensorsWeights.LoadPart(backbone, weights, "backbone.");
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
        return backbone;
    }
}
