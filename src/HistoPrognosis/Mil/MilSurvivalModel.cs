using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>A trained gated-attention MIL risk model with the feature standardisation learned on its training bags.</summary>
public sealed class MilSurvivalModel : IDisposable
{
    private readonly FeatureProjection _projection;

    private MilSurvivalModel(GatedAttentionMil network, FeatureProjection projection, Device device, int bestEpoch, IReadOnlyList<(double Train, double Validation)> curve, double seconds)
    {
        Network = network;
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
        using var threads = new SmallTensorThreads(device);
        config.Validate();
        var clock = Stopwatch.StartNew();
        manual_seed(seed);
        var projection = FeatureProjection.Fit(train, config.PcaComponents, device);
        var network = new GatedAttentionMil(projection.OutputDimension, config.HiddenDimension, config.AttentionDimension, config.Dropout);
        network.to(device);
        var model = new MilSurvivalModel(network, projection, device, 0, [], 0);
        var trainBags = model.ToTensors(train);
        var validationBags = model.ToTensors(validation);
        var optimizer = optim.AdamW(network.parameters(), lr: config.LearningRate, weight_decay: config.WeightDecay);
        var curve = new List<(double, double)>();
        // Model selection on the validation patients' Harrell C: it measures the ranking we report and, with
        // tens of patients, is far less erratic than the Cox loss, whose scale grows with overconfident risks.
        double best = double.NegativeInfinity;
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
            double score = validation.Count == 0 ? -trainLoss : model.Score(validationBags, validationTime, validationEvent, validationLoss);
            if (score >= best)
            {
                best = score;
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
        log.Info($"{label} MIL: kept epoch {bestEpoch} (validation C-index {best:F3}; the latest epoch among ties)");
        return new MilSurvivalModel(network, projection, device, bestEpoch, curve, clock.Elapsed.TotalSeconds);
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

    /// <summary>Validation Harrell C; when undefined (no events or no comparable pair) the negative loss instead.</summary>
    private double Score(List<Tensor> bags, double[] time, bool[] @event, double loss)
    {
        Network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var risks = bags.Select(b => (double)Network.forward(b).item<float>()).ToArray();
        try
        {
            var c = Survival.Concordance.Harrell(time, @event, risks).Value;
            return double.IsFinite(c) ? c : -loss;
        }
        catch (ArgumentException)
        {
            return -loss;
        }
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

    private Tensor ToTensor(PatientBag bag) => _projection.Apply(bag);

    public void Dispose()
    {
        _projection.Dispose();
        Network.Dispose();
    }
}
