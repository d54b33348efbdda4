using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Mil;

/// <summary>Gated attention pooling with a linear risk head (one log-hazard per bag): the demo's MIL network.</summary>
public sealed class GatedAttentionMil : Module<Tensor, Tensor>
{
    private readonly GatedAttentionPool pool;
    private readonly Linear risk;

    public GatedAttentionMil(int inputDimension, int hiddenDimension = 128, int attentionDimension = 64, double dropout = 0.25)
        : base("gated_attention_mil")
    {
        pool = new GatedAttentionPool(inputDimension, hiddenDimension, attentionDimension, dropout);
        risk = Linear(hiddenDimension, 1);
        RegisterComponents();
    }

    /// <summary>One bag (instances × features) → its risk score, shape [1].</summary>
    public override Tensor forward(Tensor bag) => ForwardWithAttention(bag).Risk;

    /// <summary>Risk and the attention weight of every instance (they sum to 1).</summary>
    public (Tensor Risk, Tensor Attention) ForwardWithAttention(Tensor bag)
    {
        using var scope = NewDisposeScope();
        var encoding = pool.Encode(bag);
        var score = risk.forward(encoding.Embedding).reshape(1);
        return (score.MoveToOuterDisposeScope(), encoding.Attention.MoveToOuterDisposeScope());
    }
}
