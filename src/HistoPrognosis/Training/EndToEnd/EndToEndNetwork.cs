using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Training.EndToEnd;

/// <summary>
/// Backbone → per-patch embedding → LayerNorm → the MIL prognosis network (aggregator + head) of the frozen-feature
/// path, for one patient's bag at a time. The frozen path's <see cref="FeatureProjection"/> (standardisation + PCA
/// fitted once on extracted features) does not apply here: the features move as the backbone trains, so a fit would
/// go stale after the first steps. Instead LayerNorm standardises each embedding without fitted statistics, and the
/// aggregator's own first linear layer (512 → <c>model.mil.hidden_dimension</c>) is the learnable projection.
/// </summary>
public sealed class EndToEndNetwork : Module<Tensor, Tensor>
{
    private readonly Backbone backbone;
    private readonly LayerNorm norm;
    private readonly PrognosisNetwork mil;

    public EndToEndNetwork(Backbone backbone, PrognosisConfig config, int outputs) : base("end_to_end_network")
    {
        this.backbone = backbone;
        norm = LayerNorm(backbone.FeatureDimension);
        mil = PrognosisModel.CreateNetwork(config, backbone.FeatureDimension, clinicalWidth: 0, outputs, CPU);
        RegisterComponents();
    }

    public Backbone Backbone => backbone;

    /// <summary>LoRA adapters on the backbone while a <c>lora</c> policy trains (not in the saved weights: merged into the backbone at the end).</summary>
    public LoraAdapters? Lora { get; private set; }

    public void AttachLora(LoraAdapters adapters)
    {
        if (Lora is not null) throw new InvalidOperationException("LoRA adapters are already attached");
        Lora = adapters;
    }

    /// <summary>Merges the adapters' updates into the backbone's kernels and drops them: a plain backbone again.</summary>
    public void MergeLora()
    {
        if (Lora is null) return;
        Lora.MergeIntoBackbone();
        Lora.Dispose();
        Lora = null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Lora?.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Everything above the backbone: it learns at the head rate from the first step.</summary>
    public IEnumerable<Parameter> HeadParameters => norm.parameters().Concat(mil.parameters());

    /// <summary>uint8 RGB patches N×3×H×W → backbone embeddings [N × D].</summary>
    public Tensor Embed(Tensor rgb) => backbone.forward(backbone.Preprocess(rgb));

    /// <summary>One patient's embeddings [N × D] → head outputs [1 × K] with the patch weights.</summary>
    public PrognosisOutput RunBag(Tensor embeddings) => mil.Run(norm.forward(embeddings), null);

    /// <summary>One patient's uint8 patches → head outputs [1 × K].</summary>
    public override Tensor forward(Tensor rgb) => RunBag(Embed(rgb)).Outputs;
}
