using System.Runtime.CompilerServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>A differentiable addition to a convolution's kernel (a LoRA adapter's update).</summary>
public interface IKernelUpdate
{
    /// <summary>The update, shaped as the kernel [out × in × kh × kw].</summary>
    Tensor Delta();
}

/// <summary>
/// Updates attached to convolutions of a backbone, applied where the backbones run each convolution
/// (<see cref="ConvNorm"/>): the conv runs once with kernel + update. Keyed by the module, so a backbone without
/// attachments runs exactly as before. (Adding the update's own low-rank convolutions to the output instead would
/// need rank-r-channel convolutions, whose LibTorch 2.10 CPU backward intermittently returned NaN here.)
/// </summary>
public static class KernelUpdates
{
    private static readonly ConditionalWeakTable<Conv2d, IKernelUpdate> Attached = new();

    public static void Attach(Conv2d conv, IKernelUpdate update)
    {
        if (!Attached.TryAdd(conv, update)) throw new InvalidOperationException("this convolution already has an update attached");
    }

    public static void Detach(Conv2d conv) => Attached.Remove(conv);

    internal static bool Has(Conv2d conv) => Attached.TryGetValue(conv, out _);

    /// <summary>The convolution's output with its update, if any.</summary>
    internal static Tensor Convolve(Conv2d conv, Tensor x)
    {
        if (!Attached.TryGetValue(conv, out var update)) return conv.forward(x);
        using var scope = NewDisposeScope();
        var kernel = conv.weight! + update.Delta();
        return nn.functional.conv2d(x, kernel, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups).MoveToOuterDisposeScope();
    }
}
