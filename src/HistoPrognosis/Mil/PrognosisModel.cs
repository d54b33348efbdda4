using TorchSharp;
using System.Diagnostics;
using HistoPrognosis.Data;
using HistoPrognosis.Survival;
using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>Patients as the trainer sees them: bags, encoded clinical rows (empty rows when image-only), follow-up.</summary>
public sealed record PrognosisData(IReadOnlyList<PatientBag> Bags, float[][] Clinical, double[] Time, bool[] Event)
{
    public int Count => Bags.Count;

    public PrognosisData Select(IReadOnlyList<int> indices) => new(indices.Select(i => Bags[i]).ToList(),
        indices.Select(i => Clinical[i]).ToArray(), indices.Select(i => Time[i]).ToArray(), indices.Select(i => Event[i]).ToArray());
}

/// <summary>One patient's prediction: risk (higher = worse), event probability by the horizon, weight of every patch.</summary>
/// <param name="Survival">predicted event-free probability at the head's <see cref="SurvivalHead.CurveMonths"/>, or null when the head predicts only the horizon</param>
public sealed record PatientPrediction(string PatientId, double Risk, double EventProbability, float[] Attention, double[]? Survival = null);

/// <summary>
/// A MIL prognosis model: feature projection fitted on training instances, aggregator + fusion + head network,
/// and the head's calibration. Trains full-batch (the Cox risk sets span all training patients) and keeps the
/// epoch with the best validation Harrell C.
/// </summary>
public sealed class PrognosisModel : IDisposable
{
    private PrognosisModel(PrognosisConfig config, FeatureProjection projection, PrognosisNetwork network, SurvivalHead head,
        ClinicalEncoder clinical, int bestEpoch, IReadOnlyList<(double Train, double Validation)> curve)
    {
        Config = config;
        Projection = projection;
        Network = network;
        Head = head;
        Clinical = clinical;
        BestEpoch = bestEpoch;
        LossCurve = curve;
    }

    public PrognosisConfig Config { get; }
    public FeatureProjection Projection { get; }
    public PrognosisNetwork Network { get; }
    public SurvivalHead Head { get; }
    public ClinicalEncoder Clinical { get; }
    public int BestEpoch { get; }
    public IReadOnlyList<(double Train, double Validation)> LossCurve { get; }

    /// <summary>Builds an untrained network of the configured shape (also how a saved model is rebuilt before its weights load).</summary>
    public static PrognosisNetwork CreateNetwork(PrognosisConfig config, int inputDimension, int clinicalWidth, int outputs, Device device)
    {
        var aggregator = MilAggregators.Create(config.Aggregator, inputDimension, config.Mil);
        var fusion = clinicalWidth > 0 ? ClinicalFusion.Create(config.Fusion, aggregator.EmbeddingDimension, clinicalWidth) : null;
        var network = new PrognosisNetwork(aggregator, fusion, outputs);
        network.to(device);
        return network;
    }

    /// <param name="stage">names the training in errors, e.g. "cohort.csv: fold 2 of 5, training"</param>
    public static PrognosisModel Train(PrognosisData train, PrognosisData validation, ClinicalEncoder clinical, PrognosisConfig config,
        Device device, PipelineLog log, string stage)
    {
        config.Validate();
        // One patient (loss 0) or no comparable pair (a flat loss) would "train" without error and predict noise.
        config.TrainingMinimum().Check(stage, train.Time, train.Event);
        using var threads = new SmallTensorThreads(device);
        var clock = Stopwatch.StartNew();
        manual_seed(config.Seed);
        var projection = FeatureProjection.Fit(train.Bags, config.Mil.PcaComponents, device);
        var head = SurvivalHead.Create(config.Loss, train.Time, train.Event, config.HorizonMonths, config.TimeBins, config.Censoring);
        var network = CreateNetwork(config, projection.OutputDimension, clinical.Width, head.OutputCount, device);
        var model = new PrognosisModel(config, projection, network, head, clinical, 0, []);
        var optimizer = optim.AdamW(network.parameters(), lr: config.Mil.LearningRate, weight_decay: config.Mil.WeightDecay);
        var trainInputs = model.Inputs(train);
        var validationInputs = model.Inputs(validation);
        var curve = new List<(double, double)>();
        double best = double.NegativeInfinity;
        int bestEpoch = 0;
        Dictionary<string, Tensor>? bestState = null;
        try
        {
            for (int epoch = 1; epoch <= config.Mil.Epochs; epoch++)
            {
                double trainLoss;
                using (var scope = NewDisposeScope())
                {
                    network.train();
                    var loss = model.BatchLoss(trainInputs, train, includeInstanceLoss: true);
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    trainLoss = loss.item<float>();
                }
                double validationLoss = trainLoss, score = -trainLoss;
                if (validation.Count > 0) (validationLoss, score) = model.ValidationScore(validationInputs, validation);
                curve.Add((trainLoss, validationLoss));
                if (score >= best)
                {
                    best = score;
                    bestEpoch = epoch;
                    foreach (var t in bestState?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
                    bestState = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                }
                log.Progress($"{config.Aggregator}/{config.Loss} epoch", epoch, config.Mil.Epochs, $"train loss {trainLoss:F3}, validation {validationLoss:F3}", Math.Max(1, config.Mil.Epochs / 5));
            }
            if (bestState is not null) network.load_state_dict(bestState);
        }
        finally
        {
            foreach (var t in bestState?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
            foreach (var (bag, row) in trainInputs.Concat(validationInputs)) { bag.Dispose(); row?.Dispose(); }
            optimizer.Dispose();
        }
        var trained = new PrognosisModel(config, projection, network, head, clinical, bestEpoch, curve);
        head.Calibrate(trained.Outputs(train.Bags, train.Clinical), train.Time, train.Event);
        log.Info($"{config.Aggregator}/{config.Loss}: kept epoch {bestEpoch} of {config.Mil.Epochs} ({(validation.Count > 0 ? $"validation C-index {best:F3}" : "no validation patients: lowest training loss")}), {clock.Elapsed.TotalSeconds:F1} s");
        return trained;
    }

    /// <summary>Rebuilds a trained model from its parts (see <see cref="PrognosisModelFile"/>).</summary>
    internal static PrognosisModel Restore(PrognosisConfig config, FeatureProjection projection, PrognosisNetwork network, SurvivalHead head, ClinicalEncoder clinical, int bestEpoch) =>
        new(config, projection, network, head, clinical, bestEpoch, []);

    public IReadOnlyList<PatientPrediction> Predict(IReadOnlyList<PatientBag> bags, float[][] clinical)
    {
        Network.eval();
        using var noGrad = no_grad();
        var predictions = new List<PatientPrediction>(bags.Count);
        for (int i = 0; i < bags.Count; i++)
        {
            using var scope = NewDisposeScope();
            var output = Network.Run(Projection.Apply(bags[i]), ClinicalRow(clinical[i]));
            var values = output.Outputs.cpu().data<float>().ToArray();
            predictions.Add(new PatientPrediction(bags[i].PatientId, Head.Risk(values), Head.EventProbability(values),
                output.Attention.cpu().data<float>().ToArray(), Head.SurvivalCurve(values)));
        }
        return predictions;
    }

    /// <summary>Raw head outputs per patient, in eval mode.</summary>
    public float[][] Outputs(IReadOnlyList<PatientBag> bags, float[][] clinical)
    {
        Network.eval();
        using var noGrad = no_grad();
        var outputs = new float[bags.Count][];
        for (int i = 0; i < bags.Count; i++)
        {
            using var scope = NewDisposeScope();
            outputs[i] = Network.forward(Projection.Apply(bags[i]), ClinicalRow(clinical[i])).cpu().data<float>().ToArray();
        }
        return outputs;
    }

    private List<(Tensor Bag, Tensor? Clinical)> Inputs(PrognosisData data) =>
        Enumerable.Range(0, data.Count).Select(i => (Projection.Apply(data.Bags[i]), ClinicalRow(data.Clinical[i]))).ToList();

    private Tensor? ClinicalRow(float[] row)
    {
        if (row.Length != Clinical.Width) throw new ArgumentException($"a clinical row has {row.Length} values, the model expects {Clinical.Width}");
        return Clinical.Width == 0 ? null : tensor(row, device: Projection.Device).reshape(1, row.Length);
    }

    /// <summary>Head loss over all patients, plus the weighted mean instance loss (CLAM) in training.</summary>
    private Tensor BatchLoss(List<(Tensor Bag, Tensor? Clinical)> inputs, PrognosisData data, bool includeInstanceLoss)
    {
        var runs = inputs.Select(x => Network.Run(x.Bag, x.Clinical)).ToList();
        var loss = Head.Loss(cat(runs.Select(r => r.Outputs).ToArray()), data.Time, data.Event);
        var instance = runs.Where(r => r.InstanceLoss is not null).Select(r => r.InstanceLoss!).ToArray();
        if (!includeInstanceLoss || instance.Length == 0) return loss;
        double w = Config.InstanceLossWeight;
        return loss * (1 - w) + stack(instance).mean() * w;
    }

    /// <summary>Validation loss and the model-selection score: Harrell C (ranking is what we report), or −loss when C is undefined.</summary>
    private (double Loss, double Score) ValidationScore(List<(Tensor Bag, Tensor? Clinical)> inputs, PrognosisData data)
    {
        Network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var runs = inputs.Select(x => Network.Run(x.Bag, x.Clinical).Outputs).ToArray();
        double loss = Head.Loss(cat(runs), data.Time, data.Event).item<float>();
        var risks = runs.Select(o => Head.Risk(o.cpu().data<float>().ToArray())).ToArray();
        try
        {
            double c = Concordance.Harrell(data.Time, data.Event, risks).Value;
            return (loss, double.IsFinite(c) ? c : -loss);
        }
        catch (ArgumentException)
        {
            return (loss, -loss);
        }
    }

    public void Dispose()
    {
        Network.Dispose();
        Projection.Dispose();
    }
}
