using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Mil;

/// <summary>Late fusion of the bag embedding [1 × D] with the encoded clinical covariates [1 × C].</summary>
/// <summary>How clinical covariates join the image embedding (config values: concat, gated).</summary>
public enum FusionMode
{
    Concat,
    Gated,
}

public abstract class ClinicalFusion : Module<Tensor, Tensor, Tensor>
{
    protected ClinicalFusion(string name) : base(name) { }

    public abstract int OutputDimension { get; }

    public static ClinicalFusion Create(FusionMode mode, int embeddingDimension, int clinicalDimension) => mode switch
    {
        FusionMode.Concat => new ConcatFusion(embeddingDimension, clinicalDimension),
        FusionMode.Gated => new GatedFusion(embeddingDimension, clinicalDimension),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };
}

/// <summary>Concatenation: the head sees image and clinical features side by side.</summary>
public sealed class ConcatFusion : ClinicalFusion
{
    public ConcatFusion(int embeddingDimension, int clinicalDimension) : base("concat_fusion")
    {
        OutputDimension = embeddingDimension + clinicalDimension;
        RegisterComponents();
    }

    public override int OutputDimension { get; }
    public override Tensor forward(Tensor image, Tensor clinical) => cat([image, clinical], 1);
}

/// <summary>
/// Gated multimodal unit (Arevalo et al. 2017): both modalities mapped to D dimensions, mixed per dimension by a
/// sigmoid gate computed from both, so the network learns per patient how much to trust the image.
/// </summary>
public sealed class GatedFusion : ClinicalFusion
{
    private readonly Linear imageProjection;
    private readonly Linear clinicalProjection;
    private readonly Linear gate;

    public GatedFusion(int embeddingDimension, int clinicalDimension) : base("gated_fusion")
    {
        imageProjection = Linear(embeddingDimension, embeddingDimension);
        clinicalProjection = Linear(clinicalDimension, embeddingDimension);
        gate = Linear(embeddingDimension + clinicalDimension, embeddingDimension);
        OutputDimension = embeddingDimension;
        RegisterComponents();
    }

    public override int OutputDimension { get; }

    public override Tensor forward(Tensor image, Tensor clinical)
    {
        var z = sigmoid(gate.forward(cat([image, clinical], 1)));
        return z * tanh(imageProjection.forward(image)) + (1 - z) * tanh(clinicalProjection.forward(clinical));
    }
}
