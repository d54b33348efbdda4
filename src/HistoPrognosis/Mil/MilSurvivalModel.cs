using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>A trained gated-attention MIL risk model with the feature standardisation learned on its training bags.</summary>
public sealed class MilSurvivalModel : IDisposable
{
    private readonly Tensor _mean;
    private readonly Tensor _std;
    private readonly Tensor? _projection;

    private MilSurvivalModel(GatedAttentionMil network, Tensor mean, Tensor std, Tensor? projection, Device device, int bestEpoch, IReadOnlyList<(double Train, double Validation)> curve, double seconds)
    {
        Network = network;
        _mean = mean;
        _std = std;
        _projection = projection;
        Device = device;
        BestEpoch = bestEpoch;
        LossCurve = curve;
        Seconds = seconds;
    }

    public GatedAttentionMil Network { get; }
    public Device Device { get; }
    public int BestEpoch { get; }
    public IReadOnlyList<(double Train, double Validation)> LossCurve { get; }
    public double Seconds { get; }

    /// <summary>
    /// Trains on all training bags per step (the Cox risk sets span the whole training set) and keeps the weights
    /// of the epoch with the lowest validation Cox loss.
    /// </summary>
    public static MilSurvivalModel Train(IReadOnlyList<PatientBag> train, double[] trainTime, bool[] trainEvent,
        IReadOnlyList<PatientBag> validation, double[] validationTime, bool[] validationEvent,
        MilConfig config, Device device, int seed, PipelineLog log, string label)
    {
        config.Validate();
        var clock = Stopwatch.StartNew();
        manual_seed(seed);
        int dim = train[0].Instances[0].Length;
        var (mean, std) = Standardisation(train, dim, device);
        var projection = config.PcaComponents > 0 && config.PcaComponents < dim
            ? PrincipalAxes(train, mean, std, config.PcaComponents, device) : null;
        int inputDim = projection is null ? dim : config.PcaComponents;
        var network = new GatedAttentionMil(inputDim, config.HiddenDimension, config.AttentionDimension, config.Dropout);
        network.to(device);
        var model = new MilSurvivalModel(network, mean, std, projection, device, 0, [], 0);
        var trainBags = model.ToTensors(train);
        var validationBags = model.ToTensors(validation);
        var optimizer = optim.AdamW(network.parameters(), lr: config.LearningRate, weight_decay: config.WeightDecay);
        var curve = new List<(double, double)>();
        double best = double.PositiveInfinity;
        int bestEpoch = 0;
        Dictionary<string, Tensor>? bestState = null;
        for (int epoch = 1; epoch <= config.Epochs; epoch++)
        {
            double trainLoss;
            using (var scope = NewDisposeScope())
            {
                network.train();
                var risks = cat(trainBags.Select(b => network.forward(b)).ToArray());
                var loss = CoxLoss.Efron(risks, trainTime, trainEvent);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                trainLoss = loss.item<float>();
            }
            double validationLoss = validation.Count == 0 ? trainLoss : model.Loss(validationBags, validationTime, validationEvent);
            curve.Add((trainLoss, validationLoss));
            if (validationLoss < best - 1e-9)
            {
                best = validationLoss;
                bestEpoch = epoch;
                foreach (var t in bestState?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
                bestState = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            }
            log.Progress($"{label} MIL epoch", epoch, config.Epochs, $"train Cox loss {trainLoss:F3}, validation {validationLoss:F3}", Math.Max(1, config.Epochs / 6));
        }
        if (bestState is not null)
        {
            network.load_state_dict(bestState);
            foreach (var t in bestState.Values) t.Dispose();
        }
        optimizer.Dispose();
        foreach (var t in trainBags.Concat(validationBags)) t.Dispose();
        log.Info($"{label} MIL: kept epoch {bestEpoch} (lowest validation Cox loss {best:F3})");
        return new MilSurvivalModel(network, mean, std, projection, device, bestEpoch, curve, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Risk score (log relative hazard) per bag, in eval mode.</summary>
    public double[] PredictRisk(IReadOnlyList<PatientBag> bags)
    {
        Network.eval();
        using var noGrad = no_grad();
        var risks = new double[bags.Count];
        for (int i = 0; i < bags.Count; i++)
        {
            using var scope = NewDisposeScope();
            risks[i] = Network.forward(ToTensor(bags[i])).item<float>();
        }
        return risks;
    }

    /// <summary>Attention weights of each patch in a bag (sum to 1).</summary>
    public float[] Attention(PatientBag bag)
    {
        Network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return Network.ForwardWithAttention(ToTensor(bag)).Attention.cpu().data<float>().ToArray();
    }

    private double Loss(List<Tensor> bags, double[] time, bool[] @event)
    {
        Network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var risks = cat(bags.Select(b => Network.forward(b)).ToArray());
        return CoxLoss.Efron(risks, time, @event).item<float>();
    }

    private List<Tensor> ToTensors(IReadOnlyList<PatientBag> bags) => bags.Select(ToTensor).ToList();

    private Tensor ToTensor(PatientBag bag)
    {
        int dim = bag.Instances[0].Length;
        var flat = new float[bag.Instances.Length * dim];
        for (int i = 0; i < bag.Instances.Length; i++) bag.Instances[i].CopyTo(flat, i * dim);
        using var scope = NewDisposeScope();
        var raw = tensor(flat, [bag.Instances.Length, dim]).to(Device);
        var standardised = (raw - _mean) / _std;
        return (_projection is null ? standardised : standardised.matmul(_projection)).MoveToOuterDisposeScope();
    }

    private static (Tensor Mean, Tensor Std) Standardisation(IReadOnlyList<PatientBag> bags, int dim, Device device)
    {
        var all = bags.SelectMany(b => b.Instances).ToArray();
        var mean = new float[dim];
        var std = new float[dim];
        for (int j = 0; j < dim; j++)
        {
            double m = all.Average(r => r[j]);
            double v = all.Average(r => (r[j] - m) * (r[j] - m));
            mean[j] = (float)m;
            std[j] = (float)Math.Max(Math.Sqrt(v), 1e-6);
        }
        return (tensor(mean, device: device).reshape(1, dim), tensor(std, device: device).reshape(1, dim));
    }

    /// <summary>Leading eigenvectors (dim × k) of the standardised training instances' covariance.</summary>
    private static Tensor PrincipalAxes(IReadOnlyList<PatientBag> bags, Tensor mean, Tensor std, int components, Device device)
    {
        using var scope = NewDisposeScope();
        int dim = bags[0].Instances[0].Length;
        var rows = bags.SelectMany(b => b.Instances).ToArray();
        var flat = new float[rows.Length * dim];
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(flat, i * dim);
        var x = ((tensor(flat, [rows.Length, dim]).to(device) - mean) / std).to_type(ScalarType.Float64);
        var covariance = x.t().matmul(x).div(Math.Max(1, rows.Length - 1));
        var (_, vectors) = linalg.eigh(covariance); // ascending eigenvalues
        return vectors.narrow(1, dim - components, components).flip(1).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _projection?.Dispose();
        Network.Dispose();
        _mean.Dispose();
        _std.Dispose();
    }
}
