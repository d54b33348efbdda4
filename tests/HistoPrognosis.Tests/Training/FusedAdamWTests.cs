using HistoPrognosis.Models;
using HistoPrognosis.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Training;

[Collection(TorchCollection.Name)]
public sealed class FusedAdamWTests
{
    /// <summary>
    /// The same gradients given to two copies of a ResNet's parameters for four steps, one stepped by TorchSharp's
    /// AdamW.step and one by the fused kernel, two parameter groups at their own rate, betas, ε and weight decay (one rate
    /// changed mid-run, as the schedule does), one parameter without a gradient in one step: weights and both moments
    /// agree within 1e-6 of their scale + 1e-9 (float rounding), and the step counts match.
    /// </summary>
    [Fact]
    public void FusedStepIsTorchSharpsAdamW()
    {
        using var source = PretrainedWeights.CreateScratch(seed: 11);
        var shapes = source.parameters().Select(p => p.shape).ToList();
        manual_seed(5);
        var start = shapes.Select(s => randn(s)).ToList();
        List<Parameter> Copy() => start.Select(t => new Parameter(t.clone())).ToList();
        var pa = Copy();
        var pb = Copy();
        AdamW Optimizer(List<Parameter> ps) => optim.AdamW([
            new AdamW.ParamGroup(ps.Where(p => p.dim() > 1), lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.05),
            new AdamW.ParamGroup(ps.Where(p => p.dim() <= 1), lr: 1e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weight_decay: 0)]);
        using var a = Optimizer(pa);
        using var b = Optimizer(pb);
        for (int step = 0; step < 4; step++)
        {
            if (step == 2)
                foreach (var o in new[] { a, b }) o.ParamGroups.First().LearningRate = 1e-3;
            for (int i = 0; i < shapes.Count; i++)
            {
                var grad = step == 1 && i == 3 ? null : randn(shapes[i]) * (i % 3 == 0 ? 1e-4 : 1.0);
                pa[i].grad = grad?.clone();
                pb[i].grad = grad?.clone();
            }
            a.step();
            FusedAdamW.Step(b);
        }
        for (int i = 0; i < pa.Count; i++) AssertClose(pa[i], pb[i], $"parameter {i}");
        var sa = a.state_dict().State.Cast<AdamW.State>().ToList();
        var sb = b.state_dict().State.Cast<AdamW.State>().ToList();
        Assert.Equal(sa.Count, sb.Count);
        for (int i = 0; i < sa.Count; i++)
        {
            Assert.Equal(sa[i].step, sb[i].step);
            AssertClose(sa[i].exp_avg, sb[i].exp_avg, $"exp_avg {i}");
            AssertClose(sa[i].exp_avg_sq, sb[i].exp_avg_sq, $"exp_avg_sq {i}");
        }
        Assert.Equal(4, sb[0].step);
        Assert.Contains(sb, s => s.step == 3); // the parameter left without a gradient once
        Assert.True((pb[0] - start[0]).abs().max().item<float>() > 1e-4, "the fused step moved nothing");
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double scale = Math.Max(expected.abs().max().item<float>(), 1e-12);
        double worst = (expected - actual).abs().max().item<float>();
        Assert.True(worst <= 1e-6 * scale + 1e-9, $"{what}: max |Δ| {worst:G3} against {scale:G3}");
    }
}
