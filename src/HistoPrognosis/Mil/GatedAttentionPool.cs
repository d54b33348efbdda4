using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Mil;

/// <summary>
/// Gated attention pooling (Ilse, Tomczak &amp; Welling 2018): instances are embedded, scored by a tanh branch gated
/// by a sigmoid branch, softmax-normalised over the bag; the embedding is the attention-weighted mean.
/// </summary>
public sealed class GatedAttentionPool : MilAggregator
{
    private readonly Sequential embed;
    private readonly Linear attentionV;
    private readonly Linear attentionU;
    private readonly Linear attentionW;

    public GatedAttentionPool(int inputDimension, int hiddenDimension, int attentionDimension, double dropout)
        : base("gated_attention_pool")
    {
        embed = Sequential(Linear(inputDimension, hiddenDimension), ReLU(), Dropout(dropout));
        attentionV = Linear(hiddenDimension, attentionDimension);
        attentionU = Linear(hiddenDimension, attentionDimension);
        attentionW = Linear(attentionDimension, 1);
        EmbeddingDimension = hiddenDimension;
        RegisterComponents();
    }

    public override int EmbeddingDimension { get; }

    public override BagEncoding Encode(Tensor bag)
    {
        var (h, attention) = EncodeInstances(bag);
        return new BagEncoding(attention.unsqueeze(0).matmul(h), attention, null);
    }

    /// <summary>A one-instance bag has attention 1: its embedding is the instance's.</summary>
    public override Tensor EncodeSingletons(Tensor bag)
    {
        CheckBag(bag);
        return embed.forward(bag);
    }

    /// <summary>Instance embeddings [N × H] and their attention weights [N].</summary>
    public (Tensor Instances, Tensor Attention) EncodeInstances(Tensor bag)
    {
        CheckBag(bag);
        var h = embed.forward(bag);
        var gate = tanh(attentionV.forward(h)).mul(sigmoid(attentionU.forward(h)));
        return (h, softmax(attentionW.forward(gate).squeeze(1), 0));
    }
}
