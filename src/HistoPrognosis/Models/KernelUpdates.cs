using System.Runtime.CompilerServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>A differentiable addition to a layer's weight (a LoRA adapter's update).</summary>
public interface IKernelUpdate
{
    /// <summary>The update, shaped as the weight (a kernel [out × in × kh × kw], or a linear layer's [out × in]).</summary>
    Tensor Delta();
}

/// <summary>A low-rank update of a linear layer that can also run as a branch on the input (cheaper than W + Δ, and where its dropout applies).</summary>
public interface ILowRankUpdate : IKernelUpdate
{
    /// <summary>The update's contribution to the layer's output for input x: Δ·x, through its factors.</summary>
    Tensor Branch(Tensor x);
}

/// <summary>
/// Updates attached to convolutions (and linear layers) of a backbone, applied where the backbones run each one
/// (<see cref="ConvNorm"/>, <see cref="Linear(TorchSharp.Modules.Linear, Tensor)"/>): the layer runs once with weight
/// + update. Keyed by the module, so a backbone without attachments runs exactly as before. (Adding the update's own low-rank convolutions to the output instead would
/// need rank-r-channel convolutions, whose LibTorch 2.10 CPU backward intermittently returned NaN here.)
/// </summary>
public static class KernelUpdates
{
    private static readonly ConditionalWeakTable<nn.Module, IKernelUpdate> Attached = new();

    /// <param name="layer">a <see cref="Conv2d"/> or a <see cref="TorchSharp.Modules.Linear"/></param>
    public static void Attach(nn.Module layer, IKernelUpdate update)
    {
        if (layer is not (Conv2d or TorchSharp.Modules.Linear)) throw new ArgumentException($"updates attach to convolutions and linear layers, not {layer.GetType().Name}");
        if (!Attached.TryAdd(layer, update)) throw new InvalidOperationException("this layer already has an update attached");
    }

    public static void Detach(nn.Module layer) => Attached.Remove(layer);

    internal static bool Has(nn.Module layer) => Attached.TryGetValue(layer, out _);

    /// <summary>The linear layer's output with its update, if any.</summary>
    public static Tensor Linear(TorchSharp.Modules.Linear linear, Tensor x)
    {
        if (!Attached.TryGetValue(linear, out var update)) return linear.forward(x);
        using var scope = NewDisposeScope();
        var y = update is ILowRankUpdate lowRank ? linear.forward(x) + lowRank.Branch(x) : nn.functional.linear(x, linear.weight! + update.Delta(), linear.bias);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The convolution's output with its update, if any.</summary>
    internal static Tensor Convolve(Conv2d conv, Tensor x)
    {
        if (!Attached.TryGetValue(conv, out var update)) return conv.forward(x);
        using var scope = NewDisposeScope();
        var kernel = conv.weight! + update.Delta();
        return nn.functional.conv2d(x, kernel, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups).MoveToOuterDisposeScope();
    }
}
