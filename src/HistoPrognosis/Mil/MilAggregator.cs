using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>
/// What an aggregator makes of one bag: the bag embedding [1 × D], the weight of every instance [N] (sums to 1;
/// what each patch contributed, for heatmaps), and an instance-level loss when the method has one (CLAM), else null.
/// </summary>
public readonly record struct BagEncoding(Tensor Embedding, Tensor Attention, Tensor? InstanceLoss);

/// <summary>
/// A multiple-instance pooling network: a bag of instance features (N × input dimension) → one embedding. The
/// survival head sits on top (<see cref="PrognosisNetwork"/>), so every aggregator serves every loss.
/// </summary>
public abstract class MilAggregator : nn.Module<Tensor, Tensor>
{
    protected MilAggregator(string name) : base(name) { }

    public abstract int EmbeddingDimension { get; }

    /// <summary>One bag → its embedding [1 × D].</summary>
    public override Tensor forward(Tensor bag) => Encode(bag).Embedding;

    public abstract BagEncoding Encode(Tensor bag);

    /// <summary>
    /// The embedding of every instance taken as a bag of its own [N × D] (row i = <c>Encode(bag[i..i+1]).Embedding</c>),
    /// for per-tile risk maps. Pools whose one-instance bag is the instance's embedding answer in one batched pass.
    /// </summary>
    public virtual Tensor EncodeSingletons(Tensor bag)
    {
        CheckBag(bag);
        return cat(Enumerable.Range(0, (int)bag.shape[0]).Select(i => Encode(bag.narrow(0, i, 1)).Embedding).ToArray());
    }

    protected static void CheckBag(Tensor bag)
    {
        if (bag.dim() != 2 || bag.shape[0] == 0)
            throw new ArgumentException($"a bag must be a non-empty instances × features matrix, got [{string.Join(",", bag.shape)}]");
    }
}

/// <summary>The MIL pooling methods (config and command-line values: mean, max, abmil, clam, transmil).</summary>
public enum MilAggregatorKind
{
    Mean,
    Max,
    /// <summary>Gated attention (Ilse et al. 2018).</summary>
    Abmil,
    /// <summary>CLAM single-branch with its instance clustering loss.</summary>
    Clam,
    Transmil,
}

/// <summary>Builds an aggregator of a kind.</summary>
public static class MilAggregators
{
    public static MilAggregator Create(MilAggregatorKind kind, int inputDimension, MilConfig config) => kind switch
    {
        MilAggregatorKind.Mean => new MeanPoolMil(inputDimension, config.HiddenDimension, config.Dropout),
        MilAggregatorKind.Max => new MaxPoolMil(inputDimension, config.HiddenDimension, config.Dropout),
        MilAggregatorKind.Abmil => new GatedAttentionPool(inputDimension, config.HiddenDimension, config.AttentionDimension, config.Dropout),
        MilAggregatorKind.Clam => new ClamSbPool(inputDimension, config.HiddenDimension, config.AttentionDimension, config.Dropout),
        MilAggregatorKind.Transmil => new TransMilPool(inputDimension, config.HiddenDimension, heads: 4, layers: 2, config.Dropout),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
