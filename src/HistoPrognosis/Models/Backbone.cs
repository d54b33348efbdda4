using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>
/// A feature extractor that the training policies can drive: its stages (shallow to deep) for freezing and
/// per-stage learning rates, and the preprocessing its weights were trained with.
/// </summary>
public abstract class Backbone : nn.Module<Tensor, Tensor>
{
    protected Backbone(string name) : base(name) { }

    public abstract int FeatureDimension { get; }

    /// <summary>Stage names from the input side to the deepest stage.</summary>
    public abstract IReadOnlyList<string> StageNames { get; }

    public abstract IEnumerable<Parameter> StageParameters(string stage);

    /// <summary>Whether weight decay applies to a parameter: matrices and kernels do, norms and biases do not.</summary>
    public virtual bool Decays(Parameter parameter) => parameter.dim() > 1;

    /// <summary>uint8 RGB, N×3×H×W → the input this backbone's weights expect (float32, same device).</summary>
    public abstract Tensor Preprocess(Tensor rgb);


    /// <summary>A short description for reports and checkpoints (architecture and preprocessing).</summary>
    public abstract string Describe();
}
