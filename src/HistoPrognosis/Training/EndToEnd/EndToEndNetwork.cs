using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Training.EndToEnd;

/// <summary>
/// Backbone → per-patch embedding → LayerNorm → a linear projection to <c>model.mil.pca_components</c> dimensions → the
/// MIL prognosis network (aggregator + head) of the frozen-feature path, for one patient's bag at a time. The
/// projection starts as the frozen path's <see cref="FeatureProjection"/> (standardisation + PCA fitted on the
/// starting backbone's embeddings of the training patches, <see cref="FitProjection"/>) and then trains at the head
/// rate, so it follows the features as the backbone moves instead of going stale. Without it the aggregator read all
/// 512 dimensions: its warm-started head (step 0) overfit a hundred patients and ranked the test patients below the
/// frozen-feature MIL it is meant to start from. Encoded clinical covariates join the bag embedding through the MIL
/// network's fusion (<see cref="ClinicalFusion"/>, <c>model.clinical</c> and <c>model.fusion</c>), as in frozen-feature MIL.
/// </summary>
public sealed class EndToEndNetwork : Module<Tensor, Tensor>
{
    private readonly Backbone backbone;
    private readonly LayerNorm norm;
    private readonly Linear projection;
    private readonly PrognosisNetwork mil;

    /// <param name="clinicalWidth">encoded clinical covariates per patient (<see cref="Data.ClinicalEncoder.Width"/>; 0: image only)</param>
    public EndToEndNetwork(Backbone backbone, PrognosisConfig config, int outputs, int clinicalWidth) : base("end_to_end_network")
    {
        this.backbone = backbone;
        int dim = backbone.FeatureDimension, width = ProjectionWidth(config.Mil.PcaComponents, dim);
        norm = LayerNorm(dim);
        projection = Linear(dim, width);
        mil = PrognosisModel.CreateNetwork(config, width, clinicalWidth, outputs, CPU);
        ClinicalWidth = clinicalWidth;
        RegisterComponents();
    }

    public Backbone Backbone => backbone;
    public int ClinicalWidth { get; }

    /// <summary>Width of the projection: the configured principal components, or the embedding itself (0 or ≥ it).</summary>
    public static int ProjectionWidth(int components, int dimension) => components > 0 && components < dimension ? components : dimension;

    /// <summary>
    /// Sets the projection to standardisation + PCA (<see cref="FeatureProjection.Fit"/>) of these patients' normalised
    /// embeddings: x ↦ ((x − mean) / std) · axes as one linear layer.
    /// </summary>
    public void FitProjection(IReadOnlyList<Tensor> embeddingBags)
    {
        using var noGrad = no_grad();
        var bags = embeddingBags.Select((b, i) =>
        {
            using var normalised = norm.forward(b).cpu();
            long rows = normalised.shape[0], dim = normalised.shape[1];
            var flat = normalised.contiguous().data<float>().ToArray();
            return new PatientBag(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Enumerable.Range(0, (int)rows).Select(r => flat.AsSpan((int)(r * dim), (int)dim).ToArray()).ToArray());
        }).ToList();
        using var fit = FeatureProjection.Fit(bags, projection.out_features == projection.in_features ? 0 : (int)projection.out_features, CPU);
        var state = fit.State;
        int d = state.Mean.Length, k = (int)projection.out_features;
        var weight = new float[k * d];
        var bias = new float[k];
        for (int c = 0; c < k; c++)
        {
            double b = 0;
            for (int j = 0; j < d; j++)
            {
                double axis = state.Axes is null ? (j == c ? 1 : 0) : state.Axes[j * k + c];
                weight[c * d + j] = (float)(axis / state.Std[j]);
                b -= axis * state.Mean[j] / state.Std[j];
            }
            bias[c] = (float)b;
        }
        var device = projection.weight!.device;
        projection.weight!.copy_(tensor(weight, [k, d]).to(device));
        projection.bias!.copy_(tensor(bias, [k]).to(device));
    }

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
    /// <summary>The MIL aggregator and survival head alone (what the warm start fits).</summary>
    public IEnumerable<Parameter> AggregatorParameters => mil.parameters();

    public IEnumerable<Parameter> HeadParameters => norm.parameters().Concat(projection.parameters()).Concat(mil.parameters());

    /// <summary>uint8 RGB patches N×3×H×W → backbone embeddings [N × D].</summary>
    public Tensor Embed(Tensor rgb) => backbone.forward(backbone.Preprocess(rgb));

    /// <summary>One patient's embeddings [N × D] and encoded covariates (<see cref="ClinicalWidth"/> values) → head outputs [1 × K] with the patch weights.</summary>
    public PrognosisOutput RunBag(Tensor embeddings, float[] clinical)
    {
        if (clinical.Length != ClinicalWidth) throw new ArgumentException($"{clinical.Length} clinical values, the network fuses {ClinicalWidth}");
        var covariates = ClinicalWidth == 0 ? null : tensor(clinical, [1, ClinicalWidth]).to(embeddings.device);
        return mil.Run(projection.forward(norm.forward(embeddings)), covariates);
    }

    /// <summary>One patient's uint8 patches → head outputs [1 × K] (an image-only network).</summary>
    public override Tensor forward(Tensor rgb) => RunBag(Embed(rgb), []).Outputs;
}
