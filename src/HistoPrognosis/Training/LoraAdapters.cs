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

    public double Scale => Alpha / Rank;

    public void Validate()
    {
        if (Rank < 1) throw new UserInputException($"finetune.lora.rank must be ≥ 1, got {Rank}");
        if (!(Alpha > 0)) throw new UserInputException($"finetune.lora.alpha must be positive, got {Alpha}");
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
/// LoRA adapters on every convolution of a backbone that reads features (all but the RGB stem: its 3-channel kernel
/// has fewer weights than a rank-8 adapter on it would). The backbone's own weights stay frozen; while attached, each
/// convolution runs with kernel + update (<see cref="KernelUpdates"/>). For inference the updates are merged into the
/// kernels (<see cref="Merged"/>, restored bit-exactly afterwards, or <see cref="MergeIntoBackbone"/> at the end), so
/// BatchNorm folding, the ONNX export and the saved weights see a plain backbone.
/// </summary>
public sealed class LoraAdapters : Module
{
    private readonly ModuleList<LoraConv> adapters;
    private readonly List<Conv2d> targets;
    private bool attached, spent;

    public LoraAdapters(Backbone backbone, LoraConfig config) : base("lora")
    {
        config.Validate();
        targets = backbone.modules().OfType<Conv2d>().Where(c => c.in_channels > 3).ToList();
        if (targets.Count == 0) throw new UserInputException($"{backbone.Describe()}: no convolution takes LoRA adapters");
        adapters = ModuleList(targets.Select(t => new LoraConv(t, config)).ToArray());
        RegisterComponents();
        Attach();
    }

    /// <summary>Adapters drawn from their own seed (so the model's other draws stay those of the other policies), on the backbone's device.</summary>
    public static LoraAdapters Create(Backbone backbone, LoraConfig config, int seed, Device device, PipelineLog log)
    {
        manual_seed(StableSeed.Of(seed + 3, 0));
        var lora = new LoraAdapters(backbone, config);
        lora.to(device);
        log.Info($"LoRA: {lora.Count} convolutions, rank {config.Rank}, alpha {config.Alpha}: {lora.ParameterCount:N0} adapter weights " +
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
        var saved = targets.Select(t => t.weight!.detach().clone()).ToList();
        Merge();
        return new Restore(() =>
        {
            using (no_grad())
                for (int i = 0; i < targets.Count; i++) targets[i].weight!.copy_(saved[i]);
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
                using var delta = adapters[i].Delta();
                targets[i].weight!.add_(delta);
            }
    }

    private void Attach()
    {
        for (int i = 0; i < targets.Count; i++) KernelUpdates.Attach(targets[i], adapters[i]);
        attached = true;
    }

    private void Detach()
    {
        if (!attached) return;
        foreach (var t in targets) KernelUpdates.Detach(t);
        attached = false;
    }

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
