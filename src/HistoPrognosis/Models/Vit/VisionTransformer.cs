using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace HistoPrognosis.Models.Vit;

/// <summary>What a ViT backbone returns per image: the normed class token, the mean of the normed patch tokens, or both.</summary>
public enum VitPooling { Cls, Mean, ClsMean }

/// <summary>timm's <c>LayerScale</c>: a learned per-channel gain (<c>gamma</c>).</summary>
public sealed class LayerScale : Module<Tensor, Tensor>
{
    private readonly Parameter gamma;

    public LayerScale(long dim, double initValues) : base("ls")
    {
        gamma = Parameter(full(dim, initValues));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x * gamma;
}

/// <summary>timm's <c>Attention</c>: fused qkv, optional q/k LayerNorm per head, scaled dot-product attention, proj.</summary>
public sealed class VitAttention : Module<Tensor, Tensor>
{
    private readonly Linear qkv, proj;
    private readonly Module<Tensor, Tensor> q_norm, k_norm;
    private readonly long _heads;

    public VitAttention(VitArchitecture a) : base("attn")
    {
        _heads = a.NumHeads;
        long headDim = a.EmbedDim / a.NumHeads;
        qkv = Linear(a.EmbedDim, a.EmbedDim * 3, hasBias: a.QkvBias);
        q_norm = a.QkNorm ? LayerNorm(headDim, a.NormEps) : Identity();
        k_norm = a.QkNorm ? LayerNorm(headDim, a.NormEps) : Identity();
        proj = Linear(a.EmbedDim, a.EmbedDim, hasBias: a.ProjBias);
        RegisterComponents();
    }

    public Linear Qkv => qkv;
    public Linear Proj => proj;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        var parts = KernelUpdates.Linear(qkv, x).reshape(b, n, 3, _heads, c / _heads).permute(2, 0, 3, 1, 4).unbind(0);
        var y = F.scaled_dot_product_attention(q_norm.forward(parts[0]), k_norm.forward(parts[1]), parts[2], null, 0, false);
        return KernelUpdates.Linear(proj, y.transpose(1, 2).reshape(b, n, c)).MoveToOuterDisposeScope();
    }
}

/// <summary>timm's block MLPs (<see cref="VitMlpLayer"/>) under timm's parameter names.</summary>
public sealed class VitMlp : Module<Tensor, Tensor>
{
    private readonly Linear? fc1, fc1_g, fc1_x;
    private readonly Linear fc2;
    private readonly VitMlpLayer _layer;
    private readonly VitActivation _activation;

    public VitMlp(VitArchitecture a) : base("mlp")
    {
        (_layer, _activation) = (a.MlpLayer, a.Activation);
        int hidden = a.MlpHidden;
        switch (a.MlpLayer)
        {
            case VitMlpLayer.Mlp:
                fc1 = Linear(a.EmbedDim, hidden);
                fc2 = Linear(hidden, a.EmbedDim);
                break;
            case VitMlpLayer.SwiGluPacked:
                fc1 = Linear(a.EmbedDim, hidden);
                fc2 = Linear(hidden / 2, a.EmbedDim);
                break;
            default:
                fc1_g = Linear(a.EmbedDim, hidden);
                fc1_x = Linear(a.EmbedDim, hidden);
                fc2 = Linear(hidden, a.EmbedDim);
                break;
        }
        RegisterComponents();
    }

    /// <summary>The block's linear layers, input side first (for adapters).</summary>
    public IEnumerable<(string Name, Linear Layer)> Linears()
    {
        if (fc1 is not null) yield return ("fc1", fc1);
        if (fc1_g is not null) yield return ("fc1_g", fc1_g);
        if (fc1_x is not null) yield return ("fc1_x", fc1_x);
        yield return ("fc2", fc2);
    }

    private Tensor Act(Tensor x) => _activation switch
    {
        VitActivation.Gelu => F.gelu(x),
        VitActivation.GeluTanh => F.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        _ => F.silu(x),
    };

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor h;
        switch (_layer)
        {
            case VitMlpLayer.Mlp:
                h = Act(KernelUpdates.Linear(fc1!, x));
                break;
            case VitMlpLayer.SwiGluPacked:
                var halves = KernelUpdates.Linear(fc1!, x).chunk(2, -1); // gate first (gate_last=False)
                h = Act(halves[0]) * halves[1];
                break;
            default:
                h = Act(KernelUpdates.Linear(fc1_g!, x)) * KernelUpdates.Linear(fc1_x!, x);
                break;
        }
        return KernelUpdates.Linear(fc2, h).MoveToOuterDisposeScope();
    }
}

/// <summary>timm's pre-norm <c>Block</c>: x + ls1(attn(norm1(x))), then x + ls2(mlp(norm2(x))).</summary>
public sealed class VitBlock : Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1, norm2;
    private readonly VitAttention attn;
    private readonly VitMlp mlp;
    private readonly Module<Tensor, Tensor> ls1, ls2;

    public VitBlock(string name, VitArchitecture a) : base(name)
    {
        norm1 = LayerNorm(a.EmbedDim, a.NormEps);
        attn = new VitAttention(a);
        ls1 = a.InitValues is double g1 ? new LayerScale(a.EmbedDim, g1) : Identity();
        norm2 = LayerNorm(a.EmbedDim, a.NormEps);
        mlp = new VitMlp(a);
        ls2 = a.InitValues is double g2 ? new LayerScale(a.EmbedDim, g2) : Identity();
        RegisterComponents();
    }

    public VitAttention Attention => attn;
    public VitMlp Mlp => mlp;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = x + ls1.forward(attn.forward(norm1.forward(x)));
        return (y + ls2.forward(mlp.forward(norm2.forward(y)))).MoveToOuterDisposeScope();
    }
}

/// <summary>timm's <c>PatchEmbed</c>: a patch-size convolution with stride patch size (its name <c>proj</c> as timm saves it).</summary>
public sealed class PatchEmbed : Module<Tensor, Tensor>
{
    private readonly Conv2d proj;

    public PatchEmbed(VitArchitecture a) : base("patch_embed")
    {
        proj = Conv2d(3, a.EmbedDim, a.PatchSize, stride: a.PatchSize, bias: !a.PreNorm);
        RegisterComponents();
    }

    /// <summary>N×3×H×W → N×h×w×D.</summary>
    public override Tensor forward(Tensor x) => proj.forward(x).permute(0, 2, 3, 1);
}

/// <summary>
/// timm's <c>VisionTransformer</c> (patch embedding, class and register tokens, absolute position embedding with or
/// without prefix positions, pre-norm blocks, final norm or fc_norm) as a backbone, with timm's state-dict names
/// so a timm or Hugging Face checkpoint loads by name. At any grid but the trained one the position embedding is
/// resampled as timm's <c>resample_abs_pos_embed</c> does (bicubic, antialiased; Hugging Face checkpoints without
/// antialiasing, as transformers does). Stages for the training policies:
/// <c>embed</c> (patch embedding, tokens, positions), then one per block, the final norms with the last block, so a
/// per-stage decay is timm's layer-wise learning-rate decay (block i of d at decay^(d − i), embeddings lowest).
/// </summary>
public sealed class VisionTransformer : Backbone
{
    private readonly PatchEmbed patch_embed;
    private readonly Parameter? cls_token, reg_token;
    private readonly Parameter pos_embed;
    private readonly Module<Tensor, Tensor> norm_pre, norm, fc_norm;
    private readonly ModuleList<VitBlock> blocks;
    private readonly float[] _mean, _std;
    private readonly string[] _stages;

    public VisionTransformer(VitArchitecture architecture, VitPooling pooling, float[] mean, float[] std) : base(architecture.Name)
    {
        if (pooling != VitPooling.Mean && !architecture.ClassToken)
            throw new UserInputException($"{architecture.Name}: pooling {PoolingName(pooling)} needs a class token, and this model has none (use mean)");
        Architecture = architecture;
        Pooling = pooling;
        (_mean, _std) = (mean, std);
        var a = architecture;
        patch_embed = new PatchEmbed(a);
        if (a.ClassToken) cls_token = Parameter(zeros(1, 1, a.EmbedDim));
        if (a.RegTokens > 0) reg_token = Parameter(zeros(1, a.RegTokens, a.EmbedDim));
        pos_embed = Parameter(zeros(1, a.Grid * a.Grid + (a.NoEmbedClass ? 0 : a.PrefixTokens), a.EmbedDim));
        norm_pre = a.PreNorm ? LayerNorm(a.EmbedDim, a.NormEps) : Identity();
        blocks = new ModuleList<VitBlock>(Enumerable.Range(0, a.Depth).Select(i => new VitBlock($"{i}", a)).ToArray());
        norm = a.FinalNorm && !a.UsesFcNorm ? LayerNorm(a.EmbedDim, a.NormEps) : Identity();
        fc_norm = a.FinalNorm && a.UsesFcNorm ? LayerNorm(a.EmbedDim, a.NormEps) : Identity();
        _stages = ["embed", .. Enumerable.Range(0, a.Depth).Select(i => $"blocks.{i}")];
        RegisterComponents();
    }

    public VitArchitecture Architecture { get; }
    public VitPooling Pooling { get; }
    public IReadOnlyList<VitBlock> Blocks => blocks.ToList();

    /// <summary>The pooling timm's head would use: token → cls, avg → mean, "" → cls+mean.</summary>
    public static VitPooling DefaultPooling(VitArchitecture a) => a.GlobalPool switch
    {
        VitGlobalPool.Token => VitPooling.Cls,
        VitGlobalPool.Avg => VitPooling.Mean,
        _ => a.ClassToken ? VitPooling.ClsMean : VitPooling.Mean,
    };

    public override int FeatureDimension => Architecture.EmbedDim * (Pooling == VitPooling.ClsMean ? 2 : 1);
    public override IReadOnlyList<string> StageNames => _stages;

    public override IEnumerable<Parameter> StageParameters(string stage)
    {
        if (stage == "embed")
            return patch_embed.parameters().Concat(new[] { cls_token, reg_token, pos_embed }.OfType<Parameter>()).Concat(norm_pre.parameters());
        int i = stage.StartsWith("blocks.", StringComparison.Ordinal) && int.TryParse(stage.AsSpan(7), out var k) && k >= 0 && k < blocks.Count ? k
            : throw new ArgumentException($"unknown stage '{stage}'");
        var own = blocks[i].parameters();
        return i == blocks.Count - 1 ? own.Concat(norm.parameters()).Concat(fc_norm.parameters()) : own;
    }

    /// <summary>As timm's <c>no_weight_decay</c>: the class and register tokens and the position embedding never decay.</summary>
    public override bool Decays(Parameter parameter) =>
        base.Decays(parameter) && !ReferenceEquals(parameter, cls_token) && !ReferenceEquals(parameter, reg_token) && !ReferenceEquals(parameter, pos_embed);

    public override Tensor Preprocess(Tensor rgb) => BackbonePreprocessing.Normalize(rgb, _mean, _std);

    public override string Describe()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string Triple(float[] v) => string.Join(", ", v.Select(x => x.ToString("0.###", inv)));
        var a = Architecture;
        return $"timm {a.Name} (ViT, patch {a.PatchSize}, dim {a.EmbedDim}, depth {a.Depth}, {a.PrefixTokens} prefix token(s)), pooling {PoolingName(Pooling)}; " +
               $"input RGB/255 normalised by mean ({Triple(_mean)}) and std ({Triple(_std)})";
    }

    public static string PoolingName(VitPooling pooling) => pooling switch { VitPooling.Cls => "cls", VitPooling.Mean => "mean", _ => "cls+mean" };

    /// <summary>A pooling as <see cref="PoolingName"/> spells it, or an error naming <paramref name="where"/>.</summary>
    public static VitPooling ParsePooling(string name, string where) =>
        Enum.GetValues<VitPooling>().FirstOrDefault(p => PoolingName(p) == name.Trim().ToLowerInvariant(), (VitPooling)(-1)) is var p && Enum.IsDefined(p) ? p
            : throw new UserInputException($"{where}: pooling '{name}' is not one of {string.Join(", ", Enum.GetValues<VitPooling>().Select(PoolingName))}");

    /// <summary>Normed tokens [prefix…, patches] (timm's <c>forward_features</c>).</summary>
    public Tensor ForwardFeatures(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != 3) throw new ArgumentException($"backbone input must be N×3×H×W, got [{string.Join(",", x.shape)}]");
        var a = Architecture;
        if (x.shape[2] % a.PatchSize != 0 || x.shape[3] % a.PatchSize != 0)
            throw new UserInputException($"{a.Name}: image {x.shape[2]}×{x.shape[3]} px is not a multiple of its patch size {a.PatchSize} (choose --image-size accordingly)");
        using var scope = NewDisposeScope();
        var grid = patch_embed.forward(x); // N×h×w×D
        long n = grid.shape[0], h = grid.shape[1], w = grid.shape[2], d = grid.shape[3];
        var pos = ResampledPositions(h, w);
        var tokens = grid.reshape(n, h * w, d);
        var prefix = new List<Tensor>();
        if (cls_token is not null) prefix.Add(cls_token.expand(n, -1, -1));
        if (reg_token is not null) prefix.Add(reg_token.expand(n, -1, -1));
        if (a.NoEmbedClass) tokens = cat([.. prefix, tokens + pos], 1);
        else tokens = cat([.. prefix, tokens], 1) + pos;
        tokens = norm_pre.forward(tokens);
        foreach (var block in blocks) tokens = block.forward(tokens);
        return norm.forward(tokens).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var tokens = ForwardFeatures(x);
        Tensor Cls() => fc_norm.forward(tokens[.., 0]);
        Tensor Mean() => fc_norm.forward(tokens[.., Architecture.PrefixTokens..].mean([1]));
        var pooled = Pooling switch
        {
            VitPooling.Cls => Cls(),
            VitPooling.Mean => Mean(),
            _ => cat([Cls(), Mean()], 1),
        };
        return pooled.MoveToOuterDisposeScope();
    }

    /// <summary>The position embedding for an h×w grid: as trained, or resampled (prefix positions kept) as timm or transformers does.</summary>
    private Tensor ResampledPositions(long h, long w)
    {
        int grid = Architecture.Grid, prefix = Architecture.NoEmbedClass ? 0 : Architecture.PrefixTokens;
        if (h == grid && w == grid) return pos_embed;
        var d = pos_embed.shape[2];
        var patches = pos_embed[.., prefix..].reshape(1, grid, grid, d).permute(0, 3, 1, 2);
        var resized = F.interpolate(patches, [h, w], mode: InterpolationMode.Bicubic, align_corners: false, antialias: Architecture.PositionAntialias).permute(0, 2, 3, 1).reshape(1, h * w, d);
        return prefix > 0 ? cat([pos_embed[.., ..prefix], resized], 1) : resized;
    }

    /// <summary>The same architecture, pooling and preprocessing with timm's random initialisation (the from-scratch baseline).</summary>
    public VisionTransformer RandomTwin()
    {
        var twin = new VisionTransformer(Architecture, Pooling, _mean, _std);
        twin.InitialiseRandomly();
        return twin;
    }

    /// <summary>timm's initialisation (truncated normal 0.02 for positions and linear weights, 1e-6 for the class token), for training from scratch.</summary>
    public void InitialiseRandomly()
    {
        using var noGrad = no_grad();
        init.trunc_normal_(pos_embed, std: 0.02);
        if (cls_token is not null) init.normal_(cls_token, std: 1e-6);
        if (reg_token is not null) init.normal_(reg_token, std: 1e-6);
        foreach (var module in modules())
            if (module is Linear linear)
            {
                init.trunc_normal_(linear.weight!, std: 0.02);
                if (linear.bias is { } bias) init.zeros_(bias);
            }
    }
}
