using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Mil;

/// <summary>
/// A small TransMIL-style aggregator (Shao et al. 2021): instances are projected, a learned class token is
/// prepended, pre-norm self-attention layers let every instance see the others, and the class token's output is
/// the bag embedding. Full softmax attention replaces TransMIL's Nyström approximation and PPEG (bags here have
/// hundreds of patches, not tens of thousands, and patch tables carry no grid). The per-instance weights are the
/// last layer's class-token attention, averaged over heads.
/// </summary>
public sealed class TransMilPool : MilAggregator
{
    private readonly Sequential project;
    private readonly Parameter classToken;
    private readonly ModuleList<SelfAttentionBlock> blocks;
    private readonly LayerNorm norm;

    public TransMilPool(int inputDimension, int hiddenDimension, int heads, int layers, double dropout) : base("transmil_pool")
    {
        if (hiddenDimension % heads != 0) throw new UserInputException($"mil.hidden_dimension ({hiddenDimension}) must be a multiple of the {heads} attention heads");
        project = Sequential(Linear(inputDimension, hiddenDimension), ReLU(), Dropout(dropout));
        classToken = new Parameter(randn(1, hiddenDimension) * 0.02);
        blocks = new ModuleList<SelfAttentionBlock>(Enumerable.Range(0, layers).Select(_ => new SelfAttentionBlock(hiddenDimension, heads, dropout)).ToArray());
        norm = LayerNorm(hiddenDimension);
        EmbeddingDimension = hiddenDimension;
        RegisterComponents();
    }

    public override int EmbeddingDimension { get; }

    public override BagEncoding Encode(Tensor bag)
    {
        CheckBag(bag);
        var x = cat([classToken, project.forward(bag)]);
        Tensor? lastAttention = null;
        foreach (var block in blocks) (x, lastAttention) = block.Forward(x);
        var embedding = norm.forward(x.narrow(0, 0, 1));
        var toInstances = lastAttention!.mean([0]).select(0, 0).narrow(0, 1, bag.shape[0]);
        return new BagEncoding(embedding, toInstances / toInstances.sum(), null);
    }
}

/// <summary>Pre-norm multi-head self-attention and MLP with residuals; returns the attention weights [heads × L × L].</summary>
public sealed class SelfAttentionBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly Linear qkv;
    private readonly Linear output;
    private readonly LayerNorm norm2;
    private readonly Sequential mlp;
    private readonly Dropout dropout;
    private readonly int _heads;

    public SelfAttentionBlock(int dimension, int heads, double dropoutRate) : base("self_attention_block")
    {
        _heads = heads;
        norm1 = LayerNorm(dimension);
        qkv = Linear(dimension, 3 * dimension);
        output = Linear(dimension, dimension);
        norm2 = LayerNorm(dimension);
        mlp = Sequential(Linear(dimension, 2 * dimension), GELU(), Dropout(dropoutRate), Linear(2 * dimension, dimension));
        dropout = Dropout(dropoutRate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x).Output;

    /// <param name="x">tokens [L × D]</param>
    public (Tensor Output, Tensor Attention) Forward(Tensor x)
    {
        long length = x.shape[0], dimension = x.shape[1], headDimension = dimension / _heads;
        var parts = qkv.forward(norm1.forward(x)).reshape(length, 3, _heads, headDimension).permute(1, 2, 0, 3); // 3 × heads × L × d
        var (q, k, v) = (parts[0], parts[1], parts[2]);
        var attention = softmax(q.matmul(k.transpose(1, 2)) / Math.Sqrt(headDimension), -1);
        var mixed = dropout.forward(attention).matmul(v).permute(1, 0, 2).reshape(length, dimension);
        x = x + dropout.forward(output.forward(mixed));
        x = x + dropout.forward(mlp.forward(norm2.forward(x)));
        return (x, attention);
    }
}
