using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>
/// Builds a backbone from its command-line spelling: <c>imagenet-resnet18</c> (the shipped CNTK weights),
/// <c>scratch</c> (the same architecture, random), <c>resnet18|resnet34|resnet50</c> (torchvision layout, random)
/// or <c>resnetNN:FILE.safetensors</c> (torchvision layout with a user's PyTorch weights), or the output folder of
/// <c>histoprog finetune</c> (its architecture from <c>config.json</c>, its fine-tuned backbone from <c>model.safetensors</c>),
/// or a timm / Hugging Face ViT folder (<see cref="Vit.TimmFolder"/>) or transformers ViT/DINOv2 folder
/// (<see cref="Vit.TransformersFolder"/>), alone or as <c>PRESET:FOLDER</c> (<see cref="Vit.VitPresets"/>); any ViT spec may end in
/// <c>#pool=cls|mean|cls+mean</c> (<see cref="PoolSuffix"/>).
/// </summary>
public static class BackboneFactory
{
    public const string ImageNet = "imagenet-resnet18";
    public const string Scratch = "scratch";

    public static Backbone Create(string spec, long seed)
    {
        manual_seed(seed);
        var (trimmed, pool) = SplitPool(spec);
        if (trimmed.Equals(ImageNet, StringComparison.OrdinalIgnoreCase)) return NotViT(PretrainedWeights.LoadImageNetResNet18());
        if (trimmed.Equals(Scratch, StringComparison.OrdinalIgnoreCase)) return NotViT(PretrainedWeights.CreateScratch(seed));
        var parts = trimmed.Split(':', 2);
        if (parts.Length == 2 && Vit.VitPresets.IsPreset(parts[0])) return Vit.VitPresets.Load(parts[0], parts[1], pool);
        int? depth = parts[0].ToLowerInvariant() switch { "resnet18" => 18, "resnet34" => 34, "resnet50" => 50, _ => null };
        if (depth is null)
            return !Directory.Exists(trimmed)
                ? throw new UserInputException($"unknown backbone '{spec}': use {ImageNet}, {Scratch}, resnet18|resnet34|resnet50 or resnetNN:FILE.safetensors, " +
                                               $"a timm model folder (config.json + model.safetensors), a Hugging Face transformers ViT/DINOv2 folder, " +
                                               $"PRESET:FOLDER ({string.Join(", ", Vit.VitPresets.Names)}), or a histoprog finetune output folder")
                : Vit.TimmFolder.Recognises(trimmed) ? Vit.TimmFolder.Load(trimmed, pool)
                : Vit.TransformersFolder.Recognises(trimmed) ? Vit.TransformersFolder.Load(trimmed, pool)
                : FromFinetuneOutput(trimmed, seed, pool);
        var backbone = new TorchvisionResNet(depth.Value);
        backbone.InitialiseRandomly();
        if (parts.Length == 2) SafetensorsWeights.Load(backbone, parts[1], "fc.");
        return NotViT(backbone);

        Backbone NotViT(Backbone b)
        {
            if (pool is null) return b;
            b.Dispose();
            throw new UserInputException($"backbone '{spec}': {PoolSuffix}… (--pool) chooses a ViT's tokens; {trimmed} is a CNN");
        }
    }

    /// <summary>
    /// The spec's architecture with fresh random weights, for the from-scratch baseline of a transfer comparison:
    /// the ImageNet ResNet18's twin is <see cref="Scratch"/>; a ResNet with a user's weights is the bare ResNet; a
    /// ViT (folder or preset, with its pooling) is rebuilt from its architecture and initialised as timm does.
    /// </summary>
    public static Backbone CreateScratchTwin(string spec, long seed)
    {
        var trimmed = SplitPool(spec).Spec;
        if (trimmed.Equals(ImageNet, StringComparison.OrdinalIgnoreCase) || trimmed.Equals(Scratch, StringComparison.OrdinalIgnoreCase)) return Create(Scratch, seed);
        var name = trimmed.Split(':', 2)[0].ToLowerInvariant();
        if (name is "resnet18" or "resnet34" or "resnet50") return Create(name, seed);
        using var pretrained = Create(spec, seed);
        if (pretrained is Vit.VisionTransformer vit)
        {
            manual_seed(seed);
            return vit.RandomTwin();
        }
        return pretrained is TorchvisionResNet resnet ? Create($"resnet{resnet.Depth}", seed) : Create(Scratch, seed);
    }

    /// <summary>What a spec may end with to override a ViT's pooling (<c>--pool</c> appends it): <c>DIR#pool=cls+mean</c>.</summary>
    public const string PoolSuffix = "#pool=";

    /// <summary>The spec with its pooling set to <paramref name="pooling"/> (replacing one it names).</summary>
    public static string WithPool(string spec, Vit.VitPooling pooling) => SplitPool(spec).Spec + PoolSuffix + Vit.VisionTransformer.PoolingName(pooling);

    /// <summary>The spec without its pooling suffix, and the pooling it names (null: the model's own).</summary>
    public static (string Spec, Vit.VitPooling? Pool) SplitPool(string spec)
    {
        var trimmed = spec.Trim();
        int at = trimmed.LastIndexOf(PoolSuffix, StringComparison.Ordinal);
        if (at < 0) return (trimmed, null);
        var name = trimmed[(at + PoolSuffix.Length)..];
        return (trimmed[..at].Trim(), Vit.VisionTransformer.ParsePooling(name, $"backbone '{spec}'"));
    }

    /// <summary>The spec with its file or folder made absolute against <paramref name="folder"/> (names stay as they are).</summary>
    public static string ResolvePaths(string spec, string folder)
    {
        var (trimmed, pool) = SplitPool(spec);
        var resolved = Resolve(trimmed);
        return pool is { } p ? WithPool(resolved, p) : resolved;

        string Resolve(string s)
        {
            if (s.Equals(ImageNet, StringComparison.OrdinalIgnoreCase) || s.Equals(Scratch, StringComparison.OrdinalIgnoreCase)) return s;
            var parts = s.Split(':', 2);
            if (parts[0].ToLowerInvariant() is "resnet18" or "resnet34" or "resnet50" || (parts.Length == 2 && Vit.VitPresets.IsPreset(parts[0])))
                return parts.Length == 2 ? $"{parts[0]}:{Path.GetFullPath(Path.Combine(folder, parts[1]))}" : s;
            return Path.GetFullPath(Path.Combine(folder, s));
        }
    }

    /// <summary>Whether a spec starts from pretrained weights (everything but random initialisation).</summary>
    public static bool IsPretrained(string spec)
    {
        var s = SplitPool(spec).Spec;
        return s.Equals(ImageNet, StringComparison.OrdinalIgnoreCase) || s.Contains(':') || (!s.Equals(Scratch, StringComparison.OrdinalIgnoreCase) && Directory.Exists(s));
    }

    private static Backbone FromFinetuneOutput(string directory, long seed, Vit.VitPooling? pool)
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
        if (Path.GetFullPath(SplitPool(baseSpec).Spec) == Path.GetFullPath(directory)) throw new UserInputException($"{config}: field 'backbone' names its own folder");
        var backbone = Create(pool is { } p ? WithPool(baseSpec, p) : baseSpec, seed);
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
