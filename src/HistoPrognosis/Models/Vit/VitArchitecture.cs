using System.Globalization;
using System.Text.Json;

namespace HistoPrognosis.Models.Vit;

/// <summary>timm's <c>global_pool</c>: what its head would pool (and so, by default, our <see cref="VitPooling"/>).</summary>
public enum VitGlobalPool { Token, Avg, None }

/// <summary>The MLP of each block, as timm names the layer class.</summary>
public enum VitMlpLayer
{
    /// <summary><c>Mlp</c>: fc1, activation, fc2.</summary>
    Mlp,
    /// <summary><c>SwiGLUPacked</c> (<c>GluMlp</c>, gate first): fc1 to 2h, act(first half) × second half, fc2 from h.</summary>
    SwiGluPacked,
    /// <summary><c>SwiGLU</c>: fc1_g and fc1_x, act(fc1_g) × fc1_x, fc2.</summary>
    SwiGlu,
}

public enum VitActivation { Gelu, GeluTanh, Silu }

/// <summary>
/// One timm <c>VisionTransformer</c> configuration: the constructor arguments that change the computation (or the
/// state dict). Named models resolve as timm's registry defines them (<see cref="Resolve"/>); a folder's
/// <c>model_args</c> override them. Dropout and stochastic-depth rates are training-time settings, not architecture.
/// </summary>
public sealed record VitArchitecture
{
    public string Name { get; init; } = "vit";
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 16;
    public int EmbedDim { get; init; } = 768;
    public int Depth { get; init; } = 12;
    public int NumHeads { get; init; } = 12;
    public double MlpRatio { get; init; } = 4;
    public bool QkvBias { get; init; } = true;
    public bool QkNorm { get; init; }
    public bool ProjBias { get; init; } = true;
    /// <summary>Layer scale (<c>ls1.gamma</c>, <c>ls2.gamma</c>) when set.</summary>
    public double? InitValues { get; init; }
    public bool ClassToken { get; init; } = true;
    /// <summary>Position embedding for patch tokens only (prefix tokens concatenated after it is added).</summary>
    public bool NoEmbedClass { get; init; }
    public int RegTokens { get; init; }
    public bool PreNorm { get; init; }
    public bool FinalNorm { get; init; } = true;
    /// <summary>Norm after pooling instead of before; null: when <see cref="GlobalPool"/> is avg (timm's rule).</summary>
    public bool? FcNorm { get; init; }
    public VitGlobalPool GlobalPool { get; init; } = VitGlobalPool.Token;
    /// <summary>Recorded from the config; the position embedding is resampled for any other grid regardless (timm would refuse without it).</summary>
    public bool DynamicImgSize { get; init; }
    public VitMlpLayer MlpLayer { get; init; } = VitMlpLayer.Mlp;
    public VitActivation Activation { get; init; } = VitActivation.Gelu;
    public double NormEps { get; init; } = 1e-6;
    /// <summary>The MLP's hidden width when a checkpoint states it (Hugging Face <c>intermediate_size</c>); null: timm's <c>int(embed_dim × mlp_ratio)</c>.</summary>
    public int? MlpHiddenSize { get; init; }
    /// <summary>Resample the position embedding with antialiasing (timm's <c>resample_abs_pos_embed</c>); Hugging Face's <c>interpolate_pos_encoding</c> does not.</summary>
    public bool PositionAntialias { get; init; } = true;

    public int PrefixTokens => (ClassToken ? 1 : 0) + RegTokens;
    public int Grid => ImageSize / PatchSize;
    public bool UsesFcNorm => FcNorm ?? GlobalPool == VitGlobalPool.Avg;
    /// <summary>timm: <c>int(embed_dim * mlp_ratio)</c>, unless the checkpoint states the width.</summary>
    public int MlpHidden => MlpHiddenSize ?? (int)(EmbedDim * MlpRatio);

    public void Validate(string source)
    {
        void Require(bool ok, string message) { if (!ok) throw new UserInputException($"{source}: {message}"); }
        Require(PatchSize >= 1 && ImageSize >= PatchSize && ImageSize % PatchSize == 0, $"img_size {ImageSize} must be a multiple of patch_size {PatchSize}");
        Require(EmbedDim >= 1 && NumHeads >= 1 && EmbedDim % NumHeads == 0, $"embed_dim {EmbedDim} must be divisible by num_heads {NumHeads}");
        Require(Depth >= 1, $"depth must be ≥ 1, got {Depth}");
        Require(MlpRatio > 0 && MlpHidden >= 1, $"mlp_ratio must be > 0, got {MlpRatio}");
        Require(MlpLayer != VitMlpLayer.SwiGluPacked || MlpHidden % 2 == 0, $"SwiGLUPacked needs an even hidden size, int(embed_dim × mlp_ratio) = {MlpHidden}");
        Require(RegTokens >= 0, $"reg_tokens must be ≥ 0, got {RegTokens}");
        Require(ClassToken || GlobalPool != VitGlobalPool.Token, "global_pool 'token' needs class_token");
        Require(NormEps > 0, $"norm eps must be > 0, got {NormEps}");
    }

    /// <summary>The architectures of timm's registry we build, by name (hyper-parameters as timm's model functions give them).</summary>
    private static readonly Dictionary<string, VitArchitecture> Registry = new(StringComparer.Ordinal)
    {
        ["vit_tiny_patch16_224"] = new() { PatchSize = 16, EmbedDim = 192, Depth = 12, NumHeads = 3 },
        ["vit_small_patch16_224"] = new() { PatchSize = 16, EmbedDim = 384, Depth = 12, NumHeads = 6 },
        ["vit_small_patch8_224"] = new() { PatchSize = 8, EmbedDim = 384, Depth = 12, NumHeads = 6 },
        ["vit_base_patch16_224"] = new() { PatchSize = 16, EmbedDim = 768, Depth = 12, NumHeads = 12 },
        ["vit_base_patch8_224"] = new() { PatchSize = 8, EmbedDim = 768, Depth = 12, NumHeads = 12 },
        ["vit_large_patch16_224"] = new() { PatchSize = 16, EmbedDim = 1024, Depth = 24, NumHeads = 16 },
        ["vit_huge_patch14_224"] = new() { PatchSize = 14, EmbedDim = 1280, Depth = 32, NumHeads = 16 },
        ["vit_giant_patch14_224"] = new() { PatchSize = 14, EmbedDim = 1408, Depth = 40, NumHeads = 16, MlpRatio = 48.0 / 11 },
        ["vit_small_patch14_dinov2"] = Dinov2(384, 12, 6),
        ["vit_base_patch14_dinov2"] = Dinov2(768, 12, 12),
        ["vit_large_patch14_dinov2"] = Dinov2(1024, 24, 16),
        ["vit_giant_patch14_dinov2"] = Dinov2(1536, 40, 24) with { MlpRatio = 2.66667 * 2, MlpLayer = VitMlpLayer.SwiGluPacked, Activation = VitActivation.Silu },
        ["vit_small_patch14_reg4_dinov2"] = Dinov2(384, 12, 6) with { RegTokens = 4, NoEmbedClass = true },
        ["vit_base_patch14_reg4_dinov2"] = Dinov2(768, 12, 12) with { RegTokens = 4, NoEmbedClass = true },
        ["vit_large_patch14_reg4_dinov2"] = Dinov2(1024, 24, 16) with { RegTokens = 4, NoEmbedClass = true },
        ["vit_giant_patch14_reg4_dinov2"] = Dinov2(1536, 40, 24) with { MlpRatio = 2.66667 * 2, MlpLayer = VitMlpLayer.SwiGluPacked, Activation = VitActivation.Silu, RegTokens = 4, NoEmbedClass = true },
    };

    // DINOv2 checkpoints: layer scale, 518 px (their pretrained_cfg input size, which timm passes as img_size).
    private static VitArchitecture Dinov2(int dim, int depth, int heads) =>
        new() { PatchSize = 14, EmbedDim = dim, Depth = depth, NumHeads = heads, InitValues = 1e-5, ImageSize = 518 };

    public static IReadOnlyCollection<string> Names => Registry.Keys;

    /// <summary>A registered architecture with <paramref name="modelArgs"/> (a JSON object, timm's keyword arguments) applied.</summary>
    public static VitArchitecture Resolve(string name, JsonElement? modelArgs, string source)
    {
        if (!Registry.TryGetValue(name, out var architecture))
            throw new UserInputException($"{source}: architecture '{name}' is not a ViT we build (one of {string.Join(", ", Registry.Keys)}){Configuration.ConfigNames.Suggest(name, Registry.Keys)}");
        architecture = architecture with { Name = name };
        if (modelArgs is { ValueKind: JsonValueKind.Object } args)
            foreach (var arg in args.EnumerateObject()) architecture = Apply(architecture, arg, source);
        architecture.Validate(source);
        return architecture;
    }

    private static VitArchitecture Apply(VitArchitecture a, JsonProperty arg, string source)
    {
        var v = arg.Value;
        string where = $"{source}: model_args.{arg.Name}";
        int Int() => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i
            : v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 2 && v[0].GetInt32() == v[1].GetInt32() ? v[0].GetInt32()
            : throw new UserInputException($"{where}: needs an integer (or a square [h, w]), got {v.GetRawText()}");
        double Number() => v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new UserInputException($"{where}: needs a number, got {v.GetRawText()}");
        bool Bool() => v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw new UserInputException($"{where}: needs true or false, got {v.GetRawText()}");
        string Text() => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new UserInputException($"{where}: needs a string, got {v.GetRawText()}");
        // The class a string names, without its module path: "timm.layers.SwiGLUPacked" → "swiglupacked".
        string ClassName() => Text().Split('.')[^1].ToLowerInvariant();
        return arg.Name switch
        {
            "img_size" => a with { ImageSize = Int() },
            "patch_size" => a with { PatchSize = Int() },
            "embed_dim" => a with { EmbedDim = Int() },
            "depth" => a with { Depth = Int() },
            "num_heads" => a with { NumHeads = Int() },
            "mlp_ratio" => a with { MlpRatio = Number() },
            "qkv_bias" => a with { QkvBias = Bool() },
            "qk_norm" => a with { QkNorm = Bool() },
            "proj_bias" => a with { ProjBias = Bool() },
            "init_values" => a with { InitValues = v.ValueKind == JsonValueKind.Null ? null : Number() },
            "class_token" => a with { ClassToken = Bool() },
            "no_embed_class" => a with { NoEmbedClass = Bool() },
            "reg_tokens" => a with { RegTokens = Int() },
            "pre_norm" => a with { PreNorm = Bool() },
            "final_norm" => a with { FinalNorm = Bool() },
            "fc_norm" => a with { FcNorm = v.ValueKind == JsonValueKind.Null ? null : Bool() },
            "dynamic_img_size" => a with { DynamicImgSize = Bool() },
            "global_pool" => a with
            {
                GlobalPool = Text() switch
                {
                    "token" => VitGlobalPool.Token, "avg" => VitGlobalPool.Avg, "" => VitGlobalPool.None,
                    var other => throw new UserInputException($"{where}: '{other}' is not a pooling we build (token, avg or \"\")"),
                },
            },
            "mlp_layer" => a with
            {
                MlpLayer = ClassName() switch
                {
                    "mlp" => VitMlpLayer.Mlp, "swiglupacked" => VitMlpLayer.SwiGluPacked, "swiglu" => VitMlpLayer.SwiGlu,
                    _ => throw new UserInputException($"{where}: layer '{Text()}' is not one we build (Mlp, SwiGLUPacked, SwiGLU)"),
                },
            },
            "act_layer" => a with
            {
                Activation = ClassName() switch
                {
                    "gelu" => VitActivation.Gelu, "gelu_tanh" or "geglu_tanh" => VitActivation.GeluTanh, "silu" or "swish" => VitActivation.Silu,
                    _ => throw new UserInputException($"{where}: activation '{Text()}' is not one we build (GELU, gelu_tanh, SiLU)"),
                },
            },
            "in_chans" => Int() == 3 ? a : throw new UserInputException($"{where}: only RGB input (3 channels) is supported, got {Int()}"),
            // The classifier head is not part of a backbone; rates of dropout and stochastic depth only matter in training.
            "num_classes" or "drop_rate" or "pos_drop_rate" or "proj_drop_rate" or "attn_drop_rate" or "drop_path_rate" or "patch_drop_rate" or "weight_init" or "fix_init" => a,
            _ => throw new UserInputException($"{where}: not a VisionTransformer argument we build"),
        };
    }
}
