using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Mil;

/// <summary>
/// CLAM-SB style pooling (Lu et al. 2021): gated attention, plus an instance classifier trained to separate the
/// k most attended instances (pseudo-label 1) from the k least attended (pseudo-label 0). That clustering loss
/// shapes the instance space so attention picks distinct tissue, which helps with few patients per class.
/// Survival has no bag class, so there is one instance classifier (CLAM's in-class branch) instead of one per class.
/// </summary>
public sealed class ClamSbPool : MilAggregator
{
    private readonly GatedAttentionPool attention;
    private readonly Linear instanceClassifier;
    private readonly int _k;

    public ClamSbPool(int inputDimension, int hiddenDimension, int attentionDimension, double dropout, int k = 8)
        : base("clam_sb_pool")
    {
        attention = new GatedAttentionPool(inputDimension, hiddenDimension, attentionDimension, dropout);
        instanceClassifier = Linear(hiddenDimension, 2);
        _k = k;
        EmbeddingDimension = hiddenDimension;
        RegisterComponents();
    }

    public override int EmbeddingDimension { get; }

    /// <summary>The instance loss is computed in training mode only and for bags of at least two instances.</summary>
    public override BagEncoding Encode(Tensor bag)
    {
        var (h, weights) = attention.EncodeInstances(bag);
        var embedding = weights.unsqueeze(0).matmul(h);
        return new BagEncoding(embedding, weights, training && bag.shape[0] >= 2 ? InstanceLoss(h, weights) : null);
    }

    /// <summary>A one-instance bag has attention 1: its embedding is the instance's.</summary>
    public override Tensor EncodeSingletons(Tensor bag) => attention.EncodeSingletons(bag);

    /// <summary>Cross-entropy of the instance classifier on the top-k (label 1) and bottom-k (label 0) instances.</summary>
    public Tensor InstanceLoss(Tensor instances, Tensor weights)
    {
        int k = (int)Math.Min(_k, instances.shape[0] / 2);
        var top = weights.topk(k, largest: true).indexes;
        var bottom = weights.topk(k, largest: false).indexes;
        var chosen = instances.index_select(0, cat([top, bottom]));
        var labels = cat([ones(k, dtype: ScalarType.Int64, device: instances.device), zeros(k, dtype: ScalarType.Int64, device: instances.device)]);
        return functional.cross_entropy(instanceClassifier.forward(chosen), labels);
    }
}
