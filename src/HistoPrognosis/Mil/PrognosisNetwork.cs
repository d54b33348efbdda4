using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Mil;

/// <summary>Outputs of one bag: head outputs [1 × K], per-instance weights [N], and the aggregator's instance loss if any.</summary>
public readonly record struct PrognosisOutput(Tensor Outputs, Tensor Attention, Tensor? InstanceLoss);

/// <summary>Aggregator → optional clinical fusion → linear head with one output per head value (risk, hazard logits, …).</summary>
public sealed class PrognosisNetwork : Module<Tensor, Tensor?, Tensor>
{
    private readonly MilAggregator aggregator;
    private readonly ClinicalFusion? fusion;
    private readonly Linear head;

    public PrognosisNetwork(MilAggregator aggregator, ClinicalFusion? fusion, int outputs) : base("prognosis_network")
    {
        this.aggregator = aggregator;
        this.fusion = fusion;
        head = Linear(fusion?.OutputDimension ?? aggregator.EmbeddingDimension, outputs);
        RegisterComponents();
    }

    public override Tensor forward(Tensor bag, Tensor? clinical) => Run(bag, clinical).Outputs;

    /// <param name="clinical">[1 × C] encoded covariates, or null for an image-only network</param>
    public PrognosisOutput Run(Tensor bag, Tensor? clinical)
    {
        var encoding = aggregator.Encode(bag);
        var features = fusion is null ? encoding.Embedding
            : fusion.forward(encoding.Embedding, clinical ?? throw new ArgumentException("this network fuses clinical covariates; none given"));
        return new PrognosisOutput(head.forward(features), encoding.Attention, encoding.InstanceLoss);
    }

    /// <summary>
    /// Head outputs of every instance taken as a bag of its own [N × K] (row i = <c>Run(bag[i..i+1], clinical)</c>):
    /// what one tile alone would predict, the per-tile risk of a heatmap.
    /// </summary>
    public Tensor RunSingletons(Tensor bag, Tensor? clinical)
    {
        var embeddings = aggregator.EncodeSingletons(bag);
        var features = fusion is null ? embeddings
            : fusion.forward(embeddings, (clinical ?? throw new ArgumentException("this network fuses clinical covariates; none given")).expand(embeddings.shape[0], -1));
        return head.forward(features);
    }
}
