using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>Saved form of a <see cref="FeatureProjection"/> (JSON-friendly arrays).</summary>
public sealed record FeatureProjectionState(float[] Mean, float[] Std, int Components, float[]? Axes);

/// <summary>
/// Instance features standardised and projected on their leading principal components, both fitted on training
/// instances only: with tens of patients a 512-d input overfits in a few epochs, a 16-d one does not.
/// </summary>
public sealed class FeatureProjection : IDisposable
{
    private readonly Tensor _mean;
    private readonly Tensor _std;
    private readonly Tensor? _axes;

    private FeatureProjection(FeatureProjectionState state, Device device)
    {
        State = state;
        InputDimension = state.Mean.Length;
        OutputDimension = state.Axes is null ? InputDimension : state.Components;
        _mean = tensor(state.Mean, device: device).reshape(1, InputDimension);
        _std = tensor(state.Std, device: device).reshape(1, InputDimension);
        _axes = state.Axes is null ? null : tensor(state.Axes, device: device).reshape(InputDimension, state.Components);
        Device = device;
    }

    public FeatureProjectionState State { get; }
    public int InputDimension { get; }
    public int OutputDimension { get; }
    public Device Device { get; }

    /// <param name="components">principal components kept (0, or ≥ the feature dimension: standardise only)</param>
    public static FeatureProjection Fit(IReadOnlyList<PatientBag> bags, int components, Device device)
    {
        var rows = bags.SelectMany(b => b.Instances).ToArray();
        if (rows.Length == 0) throw new ArgumentException("no training instances to fit the feature projection on");
        int dim = rows[0].Length;
        var mean = new float[dim];
        var std = new float[dim];
        for (int j = 0; j < dim; j++)
        {
            double m = rows.Average(r => r[j]);
            double v = rows.Average(r => (r[j] - m) * (r[j] - m));
            mean[j] = (float)m;
            std[j] = (float)Math.Max(Math.Sqrt(v), 1e-6);
        }
        float[]? axes = components > 0 && components < dim ? PrincipalAxes(rows, mean, std, components) : null;
        return new FeatureProjection(new FeatureProjectionState(mean, std, axes is null ? dim : components, axes), device);
    }

    public static FeatureProjection FromState(FeatureProjectionState state, Device device) => new(state, device);

    /// <summary>One bag → its projected instances [N × OutputDimension] on the device.</summary>
    public Tensor Apply(PatientBag bag)
    {
        if (bag.Instances.Length == 0) throw new ArgumentException($"patient {bag.PatientId} has an empty bag");
        int dim = bag.Instances[0].Length;
        if (dim != InputDimension) throw new UserInputException($"patient {bag.PatientId}: features have {dim} dimensions, the model expects {InputDimension}");
        var flat = new float[bag.Instances.Length * dim];
        for (int i = 0; i < bag.Instances.Length; i++) bag.Instances[i].CopyTo(flat, i * dim);
        using var scope = NewDisposeScope();
        var standardised = (tensor(flat, [bag.Instances.Length, dim]).to(Device) - _mean) / _std;
        return (_axes is null ? standardised : standardised.matmul(_axes)).MoveToOuterDisposeScope();
    }

    /// <summary>Leading eigenvectors (dim × k, row-major) of the standardised training instances' covariance.</summary>
    private static float[] PrincipalAxes(float[][] rows, float[] mean, float[] std, int components)
    {
        using var scope = NewDisposeScope();
        int dim = mean.Length;
        var flat = new float[rows.Length * dim];
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(flat, i * dim);
        var x = ((tensor(flat, [rows.Length, dim]) - tensor(mean).reshape(1, dim)) / tensor(std).reshape(1, dim)).to_type(ScalarType.Float64);
        var covariance = x.t().matmul(x).div(Math.Max(1, rows.Length - 1));
        var (_, vectors) = linalg.eigh(covariance); // ascending eigenvalues
        return vectors.narrow(1, dim - components, components).flip(1).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    public void Dispose()
    {
        _mean.Dispose();
        _std.Dispose();
        _axes?.Dispose();
    }
}
