using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Models;

/// <summary>A backbone and a linear head giving one logit per patch (IDC vs not).</summary>
public sealed class PatchClassifier : Module<Tensor, Tensor>
{
    private readonly Backbone backbone;
    private readonly Linear head;

    public PatchClassifier(Backbone backbone) : base("patch_classifier")
    {
        this.backbone = backbone;
        head = Linear(backbone.FeatureDimension, 1);
        RegisterComponents();
    }

    public Backbone Backbone => backbone;
    public Linear Head => head;

    /// <summary>Preprocessed input (see <see cref="Backbone.Preprocess"/>) → logits, shape [N].</summary>
    public override Tensor forward(Tensor x) => head.forward(backbone.forward(x)).squeeze(1);

    /// <summary>Logits from features already computed by a frozen backbone.</summary>
    public Tensor ForwardHead(Tensor features) => head.forward(features).squeeze(1);
}
