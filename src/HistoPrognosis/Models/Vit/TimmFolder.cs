using System.Text.Json;

namespace HistoPrognosis.Models.Vit;

/// <summary>
/// A model folder as timm and the Hugging Face hub publish it (what a user downloads for UNI, Virchow, H-optimus, …):
/// <c>config.json</c> with <c>architecture</c>, <c>model_args</c> and <c>pretrained_cfg</c> (mean, std, input size),
/// and <c>model.safetensors</c> or <c>pytorch_model.bin</c> with timm's state dict. Every key and shape is checked;
/// the classifier <c>head.*</c> is not part of a backbone and is ignored.
/// </summary>
public static class TimmFolder
{
    public const string ConfigFile = "config.json";
    private static readonly string[] WeightFiles = ["model.safetensors", "pytorch_model.bin"];

    /// <summary>Whether the folder holds a timm config (an <c>architecture</c> field), rather than a finetune output (a <c>backbone</c> field).</summary>
    public static bool Recognises(string directory)
    {
        var config = Path.Combine(directory, ConfigFile);
        if (!File.Exists(config)) return false;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(config));
            // A histoprog finetune output describes its architecture too, but names the backbone it started from.
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("architecture", out _)
                   && !json.RootElement.TryGetProperty("backbone", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <param name="pooling">null: from the architecture's <c>global_pool</c></param>
    public static VisionTransformer Load(string directory, VitPooling? pooling = null)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new UserInputException($"backbone folder {directory}: no {ConfigFile}");
        VitArchitecture architecture;
        float[] mean = BackbonePreprocessing.ImageNetMean, std = BackbonePreprocessing.ImageNetStd;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(configPath));
            var root = json.RootElement;
            if (!root.TryGetProperty("architecture", out var arch) || arch.ValueKind != JsonValueKind.String)
                throw new UserInputException($"{configPath}: field 'architecture' must be a timm model name (a string)");
            JsonElement? modelArgs = root.TryGetProperty("model_args", out var args) ? args : null;
            if (modelArgs is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
                throw new UserInputException($"{configPath}: 'model_args' must be an object");
            architecture = VitArchitecture.Resolve(arch.GetString()!, modelArgs, configPath);
            if (root.TryGetProperty("pretrained_cfg", out var cfg) && cfg.ValueKind == JsonValueKind.Object)
            {
                mean = Triple(cfg, "mean", configPath) ?? mean;
                std = Triple(cfg, "std", configPath) ?? std;
                if (std.Any(s => !(s > 0))) throw new UserInputException($"{configPath}: pretrained_cfg.std must be positive");
                // timm passes the checkpoint's input size as img_size unless model_args name one.
                if (cfg.TryGetProperty("input_size", out var size) && !(modelArgs?.TryGetProperty("img_size", out _) ?? false))
                {
                    if (size.ValueKind != JsonValueKind.Array || size.GetArrayLength() != 3 || size[1].GetInt32() != size[2].GetInt32())
                        throw new UserInputException($"{configPath}: pretrained_cfg.input_size must be [3, size, size], got {size.GetRawText()}");
                    architecture = architecture with { ImageSize = size[1].GetInt32() };
                }
            }
            architecture.Validate(configPath);
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{configPath}: not valid JSON ({ex.Message})", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new UserInputException($"{configPath}: a field has the wrong type ({ex.Message})", ex);
        }

        var weights = WeightFiles.Select(f => Path.Combine(directory, f)).FirstOrDefault(File.Exists)
                      ?? throw new UserInputException($"backbone folder {directory}: no weights ({string.Join(" or ", WeightFiles)})");
        var model = new VisionTransformer(architecture, pooling ?? VisionTransformer.DefaultPooling(architecture), mean, std);
        try
        {
            SafetensorsWeights.Load(model, weights, key => key.StartsWith("head.", StringComparison.Ordinal) ? null : key);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    private static float[]? Triple(JsonElement cfg, string name, string path)
    {
        if (!cfg.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 3 || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
            throw new UserInputException($"{path}: pretrained_cfg.{name} must be three numbers, got {v.GetRawText()}");
        return v.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
    }
}
