using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Mil;

/// <summary>Instances embedded by a small MLP, then averaged: the baseline every attention method must beat.</summary>
public sealed class MeanPoolMil : MilAggregator
{
    private readonly Sequential embed;

    public MeanPoolMil(int inputDimension, int hiddenDimension, double dropout) : base("mean_pool_mil")
    {
        embed = Sequential(Linear(inputDimension, hiddenDimension), ReLU(), Dropout(dropout));
        EmbeddingDimension = hiddenDimension;
        RegisterComponents();
    }

    public override int EmbeddingDimension { get; }

    public override BagEncoding Encode(Tensor bag)
    {
        CheckBag(bag);
        var h = embed.forward(bag);
        return new BagEncoding(h.mean([0], keepdim: true), full(bag.shape[0], 1.0 / bag.shape[0], device: bag.device), null);
    }

    /// <summary>The mean of one embedding is itself.</summary>
    public override Tensor EncodeSingletons(Tensor bag)
    {
        CheckBag(bag);
        return embed.forward(bag);
    }
}

/// <summary>
/// Instances embedded by a small MLP, then the maximum of every embedding dimension. An instance's weight is the
/// share of dimensions it supplies the maximum for (ties split): the patches the bag embedding actually comes from.
/// </summary>
public sealed class MaxPoolMil : MilAggregator
{
    private readonly Sequential embed;

    public MaxPoolMil(int inputDimension, int hiddenDimension, double dropout) : base("max_pool_mil")
    {
        embed = Sequential(Linear(inputDimension, hiddenDimension), ReLU(), Dropout(dropout));
        EmbeddingDimension = hiddenDimension;
        RegisterComponents();
    }

    public override int EmbeddingDimension { get; }

    public override BagEncoding Encode(Tensor bag)
    {
        CheckBag(bag);
        var h = embed.forward(bag);
        var values = h.amax([0], keepdim: true);
        // Ties (e.g. a dimension ReLU zeroes for every instance) are shared, so the weights do not depend on instance order.
        var isMax = h.detach().eq(values.detach()).to_type(h.dtype);
        var share = (isMax / isMax.sum([0], keepdim: true)).mean([1]);
        return new BagEncoding(values, share, null);
    }

    /// <summary>The maximum over one embedding is itself.</summary>
    public override Tensor EncodeSingletons(Tensor bag)
    {
        CheckBag(bag);
        return embed.forward(bag);
    }
}
