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

    protected static void CheckBag(Tensor bag)
    {
        if (bag.dim() != 2 || bag.shape[0] == 0)
            throw new ArgumentException($"a bag must be a non-empty instances × features matrix, got [{string.Join(",", bag.shape)}]");
    }
}

/// <summary>Builds an aggregator from its command-line name.</summary>
public static class MilAggregators
{
    public static readonly string[] Names = ["mean", "max", "abmil", "clam", "transmil"];

    public static MilAggregator Create(string name, int inputDimension, MilConfig config) => name.Trim().ToLowerInvariant() switch
    {
        "mean" => new MeanPoolMil(inputDimension, config.HiddenDimension, config.Dropout),
        "max" => new MaxPoolMil(inputDimension, config.HiddenDimension, config.Dropout),
        "abmil" => new GatedAttentionPool(inputDimension, config.HiddenDimension, config.AttentionDimension, config.Dropout),
        "clam" => new ClamSbPool(inputDimension, config.HiddenDimension, config.AttentionDimension, config.Dropout),
        "transmil" => new TransMilPool(inputDimension, config.HiddenDimension, heads: 4, layers: 2, config.Dropout),
        _ => throw new UserInputException($"unknown aggregator '{name}': use {string.Join(", ", Names)}"),
    };

    public static string Check(string name) =>
        Names.Contains(name.Trim().ToLowerInvariant()) ? name.Trim().ToLowerInvariant()
            : throw new UserInputException($"unknown aggregator '{name}': use {string.Join(", ", Names)}");
}
