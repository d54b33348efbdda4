using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>
/// Inference with every BatchNorm folded into the convolution before it, using the eval statistics:
/// w' = w·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε). The forward passes then skip the norms (<see cref="ConvNorm"/>): one
/// pass fewer over every activation. Disposing restores the original weights, so a backbone shared with other
/// stages (training, checkpoints, weight hashes) is unchanged outside the scope.
/// </summary>
public sealed class BatchNormFolding : IDisposable
{
    private readonly List<(Conv2d Conv, Tensor Weight)> _saved = [];

    private BatchNormFolding() { }

    /// <summary>
    /// sqrt(running_var + eps), with eps and alpha as Scalars kept alive (<see cref="HeldScalars"/>): <c>add(eps)</c>
    /// alone passes an implicit alpha temporary, and a finalized one failed c10::Scalar::toFloat inside add_Scalar here.
    /// </summary>
    internal static Tensor StandardDeviation(BatchNorm2d norm)
    {
        using var eps = norm.eps.ToScalar();
        return norm.running_var!.add(eps, HeldScalars.One).sqrt_();
    }

    /// <summary>The folded bias: BatchNorm's bias − running_mean × scale (TorchSharp's sub passes no alpha).</summary>
    internal static Tensor FoldedBias(BatchNorm2d norm, Tensor scale) => norm.bias! - norm.running_mean! * scale;

    /// <summary>Folds every conv/BN pair of an eval-mode backbone (pairs by torchvision naming: bnK↔convK, downsample.1↔downsample.0).</summary>
    public static BatchNormFolding Fold(Backbone backbone)
    {
        if (backbone.training) throw new InvalidOperationException("fold BatchNorm only in eval mode: training needs the batch statistics");
        var modules = backbone.named_modules().ToDictionary(m => m.name, m => m.module);
        var folding = new BatchNormFolding();
        using var noGrad = no_grad();
        try
        {
            foreach (var (name, module) in modules)
            {
                if (module is not BatchNorm2d norm) continue;
                if (!modules.TryGetValue(ConvNameFor(name), out var partner) || partner is not Conv2d conv || conv.bias is not null)
                    throw new InvalidOperationException($"BatchNorm '{name}' has no bias-free convolution '{ConvNameFor(name)}' to fold into");
                using var scope = NewDisposeScope();
                var scale = norm.weight! / StandardDeviation(norm);
                folding._saved.Add((conv, conv.weight!.detach().clone().MoveToOuterDisposeScope()));
                conv.weight!.mul_(scale.view(-1, 1, 1, 1));
                conv.bias = new TorchSharp.Modules.Parameter(FoldedBias(norm, scale).MoveToOuterDisposeScope(), requires_grad: false);
            }
        }
        catch
        {
            folding.Dispose();
            throw;
        }
        return folding;
    }

    private static string ConvNameFor(string normName)
    {
        int dot = normName.LastIndexOf('.');
        string prefix = dot < 0 ? "" : normName[..(dot + 1)], last = normName[(dot + 1)..];
        if (last.StartsWith("bn", StringComparison.Ordinal)) return prefix + "conv" + last[2..];
        return prefix.EndsWith("downsample.", StringComparison.Ordinal) && last == "1" ? prefix + "0" : normName + "?";
    }

    public void Dispose()
    {
        using var noGrad = no_grad();
        foreach (var (conv, weight) in _saved)
        {
            conv.weight!.copy_(weight);
            weight.Dispose();
            var bias = conv.bias;
            conv.bias = null;
            bias?.Dispose();
        }
        _saved.Clear();
    }
}

/// <summary>A convolution and its BatchNorm, or the convolution alone once <see cref="BatchNormFolding"/> gave it a bias.</summary>
internal static class ConvNorm
{
    public static Tensor Apply(Conv2d conv, BatchNorm2d norm, Tensor x)
    {
        if (conv.bias is null) return norm.forward(KernelUpdates.Convolve(conv, x));
        if (norm.training) throw new InvalidOperationException("a backbone with folded BatchNorm is for inference only; dispose the folding before training");
        if (KernelUpdates.Has(conv)) throw new InvalidOperationException("a folded kernel cannot take an unfolded update: merge the LoRA updates before folding");
        return conv.forward(x);
    }

    public static Tensor Apply(Sequential convThenNorm, Tensor x) => Apply((Conv2d)convThenNorm[0], (BatchNorm2d)convThenNorm[1], x);
}
