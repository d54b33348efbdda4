using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Mil;

/// <summary>
/// Gated attention MIL (Ilse, Tomczak &amp; Welling 2018): instances are embedded, scored by a tanh branch gated
/// by a sigmoid branch, softmax-normalised over the bag, and the attention-weighted mean goes to a linear risk
/// head (one log-hazard per bag).
/// </summary>
public sealed class GatedAttentionMil : Module<Tensor, Tensor>
{
    private readonly Sequential embed;
    private readonly Linear attentionV;
    private readonly Linear attentionU;
    private readonly Linear attentionW;
    private readonly Linear risk;

    public GatedAttentionMil(int inputDimension, int hiddenDimension = 128, int attentionDimension = 64, double dropout = 0.25)
        : base("gated_attention_mil")
    {
        embed = Sequential(Linear(inputDimension, hiddenDimension), ReLU(), Dropout(dropout));
        attentionV = Linear(hiddenDimension, attentionDimension);
        attentionU = Linear(hiddenDimension, attentionDimension);
        attentionW = Linear(attentionDimension, 1);
        risk = Linear(hiddenDimension, 1);
        RegisterComponents();
    }

    /// <summary>One bag (instances × features) → its risk score, shape [1].</summary>
    public override Tensor forward(Tensor bag) => ForwardWithAttention(bag).Risk;

    /// <summary>Risk and the attention weight of every instance (they sum to 1).</summary>
    public (Tensor Risk, Tensor Attention) ForwardWithAttention(Tensor bag)
    {
        if (bag.dim() != 2 || bag.shape[0] == 0) throw new ArgumentException($"a bag must be a non-empty instances × features matrix, got [{string.Join(",", bag.shape)}]");
        using var scope = NewDisposeScope();
        var h = embed.forward(bag);
        var gate = tanh(attentionV.forward(h)).mul(sigmoid(attentionU.forward(h)));
        var attention = softmax(attentionW.forward(gate).squeeze(1), 0);
        var pooled = attention.unsqueeze(0).matmul(h);
        var score = risk.forward(pooled).reshape(1);
        return (score.MoveToOuterDisposeScope(), attention.MoveToOuterDisposeScope());
    }
}
