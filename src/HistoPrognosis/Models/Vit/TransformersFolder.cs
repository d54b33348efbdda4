using System.Text.Json;
using static TorchSharp.torch;

namespace HistoPrognosis.Models.Vit;

/// <summary>
/// A Hugging Face <c>transformers</c> ViT or DINOv2 folder (<c>ViTModel</c> / <c>Dinov2Model</c>, as Phikon and
/// Phikon-v2 are published): <c>config.json</c> with <c>model_type</c> <c>vit</c> or <c>dinov2</c>,
/// <c>preprocessor_config.json</c> (image mean and std) and <c>model.safetensors</c> or <c>pytorch_model.bin</c>.
/// The architecture maps onto the timm-layout <see cref="VisionTransformer"/> and the weights are renamed onto it
/// (query, key and value stacked into timm's <c>qkv</c>) — the renaming transformers' own timm and DINOv2
/// conversion scripts apply, inverted. The feature is the normed class token (<c>last_hidden_state[:, 0]</c>),
/// and other grids resample the position embedding as transformers does (bicubic, no antialiasing).
/// </summary>
public static class TransformersFolder
{
    public const string ConfigFile = "config.json", PreprocessorFile = "preprocessor_config.json";
    private static readonly string[] WeightFiles = ["model.safetensors", "pytorch_model.bin"];
    private static readonly string[] ModelTypes = ["vit", "dinov2"];

    /// <summary>Whether the folder's config.json names a transformers <c>model_type</c> (and no timm <c>architecture</c>).</summary>
    public static bool Recognises(string directory)
    {
        var config = Path.Combine(directory, ConfigFile);
        if (!File.Exists(config)) return false;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(config));
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("model_type", out _)
                   && !json.RootElement.TryGetProperty("architecture", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <param name="pooling">null: the class token, as the model cards take it</param>
    public static VisionTransformer Load(string directory, VitPooling? pooling = null)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new UserInputException($"backbone folder {directory}: no {ConfigFile}");
        VitArchitecture architecture;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(configPath));
            architecture = Architecture(json.RootElement, configPath);
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{configPath}: not valid JSON ({ex.Message})", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new UserInputException($"{configPath}: a field has the wrong type ({ex.Message})", ex);
        }
        var (mean, std) = Normalisation(directory);
        var weights = WeightFiles.Select(f => Path.Combine(directory, f)).FirstOrDefault(File.Exists)
                      ?? throw new UserInputException($"backbone folder {directory}: no weights ({string.Join(" or ", WeightFiles)})");
        var model = new VisionTransformer(architecture, pooling ?? VitPooling.Cls, mean, std);
        try
        {
            SafetensorsWeights.Assign(model, ToTimm(SafetensorsWeights.Read(weights), architecture.Depth), weights);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>transformers' <c>ViTConfig</c> / <c>Dinov2Config</c> (their defaults where a key is absent) as a timm-layout architecture.</summary>
    internal static VitArchitecture Architecture(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new UserInputException($"{path}: expected a JSON object");
        var type = root.TryGetProperty("model_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        if (!ModelTypes.Contains(type))
            throw new UserInputException($"{path}: model_type '{type}' is not a transformers layout HistoPrognosis reads ({string.Join(", ", ModelTypes)})");
        bool dinov2 = type == "dinov2";
        int Int(string key, int fallback) => root.TryGetProperty(key, out var v) ? v.GetInt32() : fallback;
        double Number(string key, double fallback) => root.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        bool Flag(string key, bool fallback) => root.TryGetProperty(key, out var v) ? v.GetBoolean() : fallback;
        if (Int("num_channels", 3) != 3) throw new UserInputException($"{path}: num_channels must be 3 (RGB), got {Int("num_channels", 3)}");
        int hidden = Int("hidden_size", 768);
        bool swiglu = dinov2 && Flag("use_swiglu_ffn", false);
        var act = root.TryGetProperty("hidden_act", out var a) ? a.GetString() : "gelu";
        var activation = swiglu ? VitActivation.Silu : act switch
        {
            "gelu" => VitActivation.Gelu,
            "gelu_new" or "gelu_pytorch_tanh" => VitActivation.GeluTanh,
            "silu" or "swish" => VitActivation.Silu,
            _ => throw new UserInputException($"{path}: hidden_act '{act}' is not one we build (gelu, gelu_new, gelu_pytorch_tanh, silu)"),
        };
        int mlpHidden;
        if (!dinov2) mlpHidden = Int("intermediate_size", 3072);
        else
        {
            double ratio = Number("mlp_ratio", 4);
            mlpHidden = (int)(hidden * ratio);
            // Dinov2SwiGLUFFN: two thirds of the width, rounded up to a multiple of 8, packed as [gate; value].
            if (swiglu) mlpHidden = 2 * (((int)(mlpHidden * 2 / 3.0) + 7) / 8 * 8);
        }
        var architecture = new VitArchitecture
        {
            Name = "hf-" + type,
            ImageSize = Int("image_size", 224),
            PatchSize = Int("patch_size", dinov2 ? 14 : 16),
            EmbedDim = hidden,
            Depth = Int("num_hidden_layers", 12),
            NumHeads = Int("num_attention_heads", 12),
            MlpHiddenSize = mlpHidden,
            QkvBias = Flag("qkv_bias", true),
            InitValues = dinov2 ? Number("layerscale_value", 1.0) : null,
            GlobalPool = VitGlobalPool.Token,
            MlpLayer = swiglu ? VitMlpLayer.SwiGluPacked : VitMlpLayer.Mlp,
            Activation = activation,
            NormEps = Number("layer_norm_eps", dinov2 ? 1e-6 : 1e-12),
            DynamicImgSize = true,
            PositionAntialias = false,
        };
        architecture.Validate(path);
        return architecture;
    }

    /// <summary>The image processor's mean and std: required, because ViT's and DINOv2's processors default to different ones.</summary>
    private static (float[] Mean, float[] Std) Normalisation(string directory)
    {
        var path = Path.Combine(directory, PreprocessorFile);
        if (!File.Exists(path))
            throw new UserInputException($"backbone folder {directory}: no {PreprocessorFile} (the image mean and std the model was trained with; download it with the weights)");
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            float[] Triple(string key) =>
                json.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 3 && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number)
                    ? v.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray()
                    : throw new UserInputException($"{path}: '{key}' must be three numbers");
            var (mean, std) = (Triple("image_mean"), Triple("image_std"));
            if (std.Any(s => !(s > 0))) throw new UserInputException($"{path}: image_std must be positive");
            return (mean, std);
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{path}: not valid JSON ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// transformers' names onto timm's: embeddings → tokens, positions and patch projection; per layer the norms,
    /// query/key/value stacked into <c>qkv</c>, the attention output, the MLP and layer scales; the final
    /// <c>layernorm</c>. The mask token, pooler and classifier are not part of the backbone. A name that maps
    /// nowhere is kept, so the check reports it as unexpected.
    /// </summary>
    internal static Dictionary<string, Tensor> ToTimm(Dictionary<string, Tensor> hf, int depth)
    {
        var source = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (rawKey, value) in hf)
        {
            var key = rawKey.StartsWith("vit.", StringComparison.Ordinal) ? rawKey[4..] : rawKey.StartsWith("dinov2.", StringComparison.Ordinal) ? rawKey[7..] : rawKey;
            if (key is "embeddings.mask_token" || key.StartsWith("pooler.", StringComparison.Ordinal) || key.StartsWith("classifier.", StringComparison.Ordinal))
            {
                value.Dispose();
                continue;
            }
            source[Rename(key)] = value;
        }
        for (int i = 0; i < depth; i++)
            foreach (var kind in new[] { "weight", "bias" })
            {
                var parts = new[] { "query", "key", "value" }.Select(p => $"encoder.layer.{i}.attention.attention.{p}.{kind}").ToArray();
                if (!parts.All(source.ContainsKey)) continue;
                var pieces = parts.Select(p => source[p]).ToArray();
                source[$"blocks.{i}.attn.qkv.{kind}"] = cat(pieces, 0);
                foreach (var p in parts) source.Remove(p);
                foreach (var piece in pieces) piece.Dispose();
            }
        return source;
    }

    private static string Rename(string key)
    {
        switch (key)
        {
            case "embeddings.cls_token": return "cls_token";
            case "embeddings.position_embeddings": return "pos_embed";
            case "layernorm.weight": return "norm.weight";
            case "layernorm.bias": return "norm.bias";
        }
        if (key.StartsWith("embeddings.patch_embeddings.projection.", StringComparison.Ordinal))
            return "patch_embed.proj." + key["embeddings.patch_embeddings.projection.".Length..];
        const string layer = "encoder.layer.";
        if (!key.StartsWith(layer, StringComparison.Ordinal)) return key;
        var rest = key[layer.Length..];
        int dot = rest.IndexOf('.');
        if (dot < 0) return key;
        var (index, name) = (rest[..dot], rest[(dot + 1)..]);
        string? mapped = name switch
        {
            _ when name.StartsWith("attention.attention.", StringComparison.Ordinal) => null, // stacked into qkv afterwards
            _ when name.StartsWith("layernorm_before.", StringComparison.Ordinal) => "norm1." + name["layernorm_before.".Length..],
            _ when name.StartsWith("layernorm_after.", StringComparison.Ordinal) => "norm2." + name["layernorm_after.".Length..],
            _ when name.StartsWith("norm1.", StringComparison.Ordinal) || name.StartsWith("norm2.", StringComparison.Ordinal) => name,
            _ when name.StartsWith("attention.output.dense.", StringComparison.Ordinal) => "attn.proj." + name["attention.output.dense.".Length..],
            _ when name.StartsWith("intermediate.dense.", StringComparison.Ordinal) => "mlp.fc1." + name["intermediate.dense.".Length..],
            _ when name.StartsWith("output.dense.", StringComparison.Ordinal) => "mlp.fc2." + name["output.dense.".Length..],
            _ when name.StartsWith("mlp.weights_in.", StringComparison.Ordinal) => "mlp.fc1." + name["mlp.weights_in.".Length..],
            _ when name.StartsWith("mlp.weights_out.", StringComparison.Ordinal) => "mlp.fc2." + name["mlp.weights_out.".Length..],
            _ when name.StartsWith("mlp.fc1.", StringComparison.Ordinal) || name.StartsWith("mlp.fc2.", StringComparison.Ordinal) => name,
            "layer_scale1.lambda1" => "ls1.gamma",
            "layer_scale2.lambda1" => "ls2.gamma",
            _ => null,
        };
        return mapped is null ? key : $"blocks.{index}.{mapped}";
    }
}
