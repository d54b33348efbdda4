using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Training;

/// <summary>
/// One step of a TorchSharp <see cref="AdamW"/> through LibTorch's fused CPU/CUDA kernel <c>torch._fused_adamw_</c>
/// (called from a TorchScript function, since TorchSharp binds no foreach/fused optimiser op): each parameter is read
/// and written once, instead of the eight tensor passes and allocations of <see cref="AdamW.step"/>'s per-parameter
/// loop. It updates the optimizer's own state (step count, first and second moments), so checkpoints, learning-rate
/// changes and a later <see cref="AdamW.step"/> work as before; the result equals AdamW's to float rounding
/// (FusedAdamWTests). AMSGrad and maximize fall back to <see cref="AdamW.step"/>.
/// </summary>
public static class FusedAdamW
{
    private static readonly Lazy<jit.CompilationUnit> Script = new(() => jit.compile("""
        def adamw(params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor], exp_avg_sqs: List[Tensor], steps: List[Tensor], lr: float, beta1: float, beta2: float, weight_decay: float, eps: float) -> int:
            torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, [], steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
            return len(params)

        """));

    public static void Step(AdamW optimizer)
    {
        var groups = optimizer.ParamGroups.Cast<AdamW.ParamGroup>().ToList();
        if (groups.Any(g => g.Options.amsgrad == true || g.Options.maximize == true))
        {
            optimizer.step();
            return;
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var states = optimizer.state_dict().State;
        int index = 0;
        foreach (var group in groups)
        {
            var o = group.Options;
            List<Tensor> parameters = [], grads = [], exp_avgs = [], exp_avg_sqs = [], steps = [];
            foreach (var parameter in group.Parameters)
            {
                var state = (AdamW.State)states[index++];
                if (parameter.grad is not { } grad) continue;
                state.step++;
                parameters.Add(parameter);
                grads.Add(grad);
                exp_avgs.Add(state.exp_avg);
                exp_avg_sqs.Add(state.exp_avg_sq);
                steps.Add(tensor((float)state.step, device: parameter.device));
            }
            if (parameters.Count == 0) continue;
            Script.Value.invoke("adamw", parameters.ToArray(), grads.ToArray(), exp_avgs.ToArray(), exp_avg_sqs.ToArray(), steps.ToArray(),
                group.LearningRate, (double)o.beta1!, (double)o.beta2!, (double)o.weight_decay!, (double)o.eps!);
        }
    }
}
