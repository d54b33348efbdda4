using HistoPrognosis.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Training;

/// <summary>Low-rank adapters (the <c>finetune.lora</c> section; policy <c>lora</c>).</summary>
public sealed record LoraConfig
{
    /// <summary>Rank r of every adapter.</summary>
    public int Rank { get; init; } = 8;
    /// <summary>The update is scaled by alpha / r (as in LoRA and PEFT), so a change of rank keeps the update's size.</summary>
    public double Alpha { get; init; } = 16;
    /// <summary>Dropout on the input of each linear layer's adapter branch while training (ViTs; as PEFT's lora_dropout).</summary>
    public double Dropout { get; init; }
    /// <summary>ViTs: adapters on the MLP's linear layers too, not only on attention's qkv and proj.</summary>
    public bool Mlp { get; init; }

    public double Scale => Alpha / Rank;

    public void Validate()
    {
        if (Rank < 1) throw new UserInputException($"finetune.lora.rank must be ≥ 1, got {Rank}");
        if (!(Alpha > 0)) throw new UserInputException($"finetune.lora.alpha must be positive, got {Alpha}");
        if (!(Dropout is >= 0 and < 1)) throw new UserInputException($"finetune.lora.dropout must be in [0, 1), got {Dropout}");
    }
}

/// <summary>
/// One convolution's adapter, in PEFT's form for <c>Conv2d</c>: <c>down</c> a rank-r kernel with the frozen conv's
/// shape (r × in × kh × kw), <c>up</c> a 1×1 map r → out; the update of the kernel is scale · up · down, a matrix of
/// rank ≤ r over (in · kh · kw). <c>up</c> starts at zero, so training starts from the pretrained network.
/// </summary>
public sealed class LoraConv : Module, IKernelUpdate
{
    private readonly Parameter down, up;
    private readonly long[] kernelShape;
    private readonly double scale;

    public LoraConv(Conv2d target, LoraConfig config) : base("lora_conv")
    {
        if (target.groups != 1 || target.transposed) throw new ArgumentException("LoRA adapters need a plain convolution (one group)");
        var weight = target.weight!;
        kernelShape = weight.shape;
        var d = empty(config.Rank, kernelShape[1], kernelShape[2], kernelShape[3], device: weight.device);
        init.kaiming_uniform_(d, a: Math.Sqrt(5)); // PEFT's initialisation of A
        down = new Parameter(d);
        up = new Parameter(zeros(kernelShape[0], config.Rank, device: weight.device));
        scale = config.Scale;
        RegisterComponents();
    }

    /// <summary>scale · up · down as a kernel [out × in × kh × kw] (differentiable in both factors).</summary>
    public Tensor Delta()
    {
        using var scope = NewDisposeScope();
        return up.mm(down.flatten(1)).mul(scale).view(kernelShape).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// One linear layer's adapter (PEFT's <c>Linear</c>): <c>down</c> r × in, <c>up</c> out × r (zeros); while training its
/// branch scale · up(down(dropout(x))) is added to the layer's output (<see cref="KernelUpdates.Linear"/>), and the
/// same update merges into the weight as scale · up · down.
/// </summary>
public sealed class LoraLinear : Module, ILowRankUpdate
{
    private readonly Parameter down, up;
    private readonly double scale, dropout;

    public LoraLinear(Linear target, LoraConfig config) : base("lora_linear")
    {
        var weight = target.weight!;
        var d = empty(config.Rank, weight.shape[1], device: weight.device);
        init.kaiming_uniform_(d, a: Math.Sqrt(5));
        down = new Parameter(d);
        up = new Parameter(zeros(weight.shape[0], config.Rank, device: weight.device));
        (scale, dropout) = (config.Scale, config.Dropout);
        RegisterComponents();
    }

    public Tensor Delta()
    {
        using var scope = NewDisposeScope();
        return up.mm(down).mul(scale).MoveToOuterDisposeScope();
    }

    public Tensor Branch(Tensor x)
    {
        using var scope = NewDisposeScope();
        var input = dropout > 0 && training ? functional.dropout(x, dropout, true) : x;
        return functional.linear(functional.linear(input, down), up).mul(scale).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// LoRA adapters on every convolution of a backbone that reads features (all but the RGB stem: its 3-channel kernel
/// has fewer weights than a rank-8 adapter on it would), or of a ViT on every block's attention qkv and proj (and with
/// <see cref="LoraConfig.Mlp"/> its MLP). The backbone's own weights stay frozen; while attached, each convolution
/// runs with kernel + update and each linear layer adds its adapter's branch (<see cref="KernelUpdates"/>). For inference the updates are merged into the
/// kernels (<see cref="Merged"/>, restored bit-exactly afterwards, or <see cref="MergeIntoBackbone"/> at the end), so
/// BatchNorm folding, the ONNX export and the saved weights see a plain backbone.
/// </summary>
public sealed class LoraAdapters : Module
{
    private readonly ModuleList<Module> adapters;
    private readonly List<Module> targets;
    private bool attached, spent;

    public LoraAdapters(Backbone backbone, LoraConfig config) : base("lora")
    {
        config.Validate();
        targets = backbone is Models.Vit.VisionTransformer vit
            ? vit.Blocks.SelectMany(b => new Module[] { b.Attention.Qkv, b.Attention.Proj }.Concat(config.Mlp ? b.Mlp.Linears().Select(l => (Module)l.Layer) : [])).ToList()
            : backbone.modules().OfType<Conv2d>().Where(c => c.in_channels > 3).ToList<Module>();
        if (targets.Count == 0) throw new UserInputException($"{backbone.Describe()}: no layer takes LoRA adapters");
        adapters = ModuleList(targets.Select(t => t switch
        {
            Conv2d conv => (Module)new LoraConv(conv, config),
            Linear linear => new LoraLinear(linear, config),
            _ => throw new ArgumentException(t.GetType().Name),
        }).ToArray());
        RegisterComponents();
        Attach();
    }

    /// <summary>Adapters drawn from their own seed (so the model's other draws stay those of the other policies), on the backbone's device.</summary>
    public static LoraAdapters Create(Backbone backbone, LoraConfig config, int seed, Device device, PipelineLog log)
    {
        manual_seed(StableSeed.Of(seed + 3, 0));
        var lora = new LoraAdapters(backbone, config);
        lora.to(device);
        log.Info($"LoRA: {lora.Count} layers, rank {config.Rank}, alpha {config.Alpha}: {lora.ParameterCount:N0} adapter weights " +
                 $"on {backbone.parameters().Sum(p => p.numel()):N0} frozen");
        return lora;
    }

    public int Count => targets.Count;

    /// <summary>Trainable adapter weights (a small fraction of the backbone's).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>The updates merged into the kernels until disposed; then the kernels are restored exactly and the updates reattached.</summary>
    public IDisposable Merged()
    {
        if (spent) return new Restore(() => { });
        var saved = targets.Select(t => Weight(t).detach().clone()).ToList();
        Merge();
        return new Restore(() =>
        {
            using (no_grad())
                for (int i = 0; i < targets.Count; i++) Weight(targets[i]).copy_(saved[i]);
            foreach (var s in saved) s.Dispose();
            Attach();
        });
    }

    /// <summary>Merges the updates into the backbone for good: it is a plain backbone afterwards and these adapters are spent.</summary>
    public void MergeIntoBackbone()
    {
        if (spent) return;
        Merge();
        spent = true;
    }

    private void Merge()
    {
        Detach();
        using (no_grad())
            for (int i = 0; i < targets.Count; i++)
            {
                using var delta = ((IKernelUpdate)adapters[i]).Delta();
                Weight(targets[i]).add_(delta, Models.HeldScalars.One);
            }
    }

    private void Attach()
    {
        for (int i = 0; i < targets.Count; i++) KernelUpdates.Attach(targets[i], (IKernelUpdate)adapters[i]);
        attached = true;
    }

    private void Detach()
    {
        if (!attached) return;
        foreach (var t in targets) KernelUpdates.Detach(t);
        attached = false;
    }

    private static Parameter Weight(Module layer) => layer switch
    {
        Conv2d conv => conv.weight!,
        Linear linear => linear.weight!,
        _ => throw new ArgumentException(layer.GetType().Name),
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing) Detach();
        base.Dispose(disposing);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        private Action? pending = undo;
        public void Dispose()
        {
            pending?.Invoke();
            pending = null;
        }
    }
}

/// <summary>
/// A model and its LoRA adapters as one module for checkpoints and the kept best weights (keys <c>model.*</c>,
/// <c>lora.*</c>); it owns neither and is never disposed.
/// </summary>
public sealed class AdaptedModule : Module
{
    private readonly Module model;
    private readonly LoraAdapters lora;

    public AdaptedModule(Module model, LoraAdapters lora) : base("adapted")
    {
        this.model = model;
        this.lora = lora;
        RegisterComponents();
    }
}
