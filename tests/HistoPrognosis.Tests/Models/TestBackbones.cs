using HistoPrognosis.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Models;

/// <summary>Backbones whose BatchNorm is not the identity, so a wrong fold or export cannot pass by accident.</summary>
public static class TestBackbones
{
    /// <summary>A torchvision ResNet, He-initialised from <paramref name="seed"/>, with random running statistics and affine BatchNorm parameters.</summary>
    public static TorchvisionResNet WithNonTrivialStatistics(int depth, long seed)
    {
        var backbone = new TorchvisionResNet(depth);
        manual_seed(seed);
        backbone.InitialiseRandomly();
        using (no_grad())
            foreach (var norm in backbone.modules().OfType<BatchNorm2d>())
            {
                norm.running_mean!.copy_(randn_like(norm.running_mean!) * 0.1);
                norm.running_var!.copy_(rand_like(norm.running_var!) + 0.5);
                norm.weight!.copy_(rand_like(norm.weight!) + 0.5);
                norm.bias!.copy_(randn_like(norm.bias!) * 0.1);
            }
        return backbone;
    }
}
