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
}

/// <summary>
/// Instances embedded by a small MLP, then the maximum of every embedding dimension. An instance's weight is the
/// share of dimensions it supplies the maximum for: the patches the bag embedding actually comes from.
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
        var (values, indices) = h.max(0, keepdim: true);
        var counts = zeros(bag.shape[0], device: bag.device).index_add(0, indices.squeeze(0), ones(h.shape[1], device: bag.device), 1.0);
        return new BagEncoding(values, counts / h.shape[1], null);
    }
}
