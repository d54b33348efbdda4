using System.Diagnostics;
using HistoPrognosis.Data;
using HistoPrognosis.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Training;

/// <summary>Loss at one optimizer step, for learning curves.</summary>
public sealed record StepLoss(int Step, string Phase, double Loss);

/// <summary>What a training run did: its loss curve and wall time.</summary>
public sealed record TrainingHistory(IReadOnlyList<StepLoss> Losses, double Seconds);

/// <summary>
/// Trains a patch classifier with a class-balanced logistic loss. Transfer: head only with the backbone frozen
/// (BatchNorm in eval mode), then all layers with discriminative learning rates. Scratch: all layers from the
/// start, the same number of optimizer steps and batch size, so the comparison is budget-matched.
/// </summary>
public sealed class PatchClassifierTrainer(FinetuneConfig config, Device device, PipelineLog log)
{
    public TrainingHistory TrainTransfer(PatchClassifier model, PatchDataset train, int seed, string label = "transfer")
    {
        var clock = Stopwatch.StartNew();
        var losses = new List<StepLoss>();
        var batches = new BatchSampler(train, config.BatchSize, seed);
        if (config.HeadOnlySteps > 0)
        {
            foreach (var p in model.Backbone.parameters()) p.requires_grad = false;
            var headGroups = ParameterGroups.Uniform("head", model.Head.parameters(), config.HeadLearningRate, config.WeightDecay);
            RunPhase(model, train, batches, headGroups, config.HeadOnlySteps, frozenBackbone: true, $"{label} head-only", losses, seed);
            foreach (var p in model.Backbone.parameters()) p.requires_grad = true;
        }
        if (config.FullSteps > 0)
        {
            var groups = ParameterGroups.Discriminative(model, config.HeadLearningRate, config.LayerDecay, config.WeightDecay);
            log.Info($"{label}: discriminative learning rates " +
                     string.Join(", ", groups.Where(g => !g.Name.EndsWith(".norm_bias")).Select(g => $"{g.Name} {g.LearningRate:G3}")));
            RunPhase(model, train, batches, groups, config.FullSteps, frozenBackbone: false, $"{label} all-layers", losses, seed + 1);
        }
        return new TrainingHistory(losses, clock.Elapsed.TotalSeconds);
    }

    public TrainingHistory TrainScratch(PatchClassifier model, PatchDataset train, int seed, string label = "scratch")
    {
        var clock = Stopwatch.StartNew();
        var losses = new List<StepLoss>();
        var batches = new BatchSampler(train, config.BatchSize, seed);
        var groups = ParameterGroups.Uniform("all", model.parameters(), config.ScratchLearningRate, config.WeightDecay);
        RunPhase(model, train, batches, groups, config.TotalSteps, frozenBackbone: false, $"{label} all-layers", losses, seed + 1);
        return new TrainingHistory(losses, clock.Elapsed.TotalSeconds);
    }

    private void RunPhase(PatchClassifier model, PatchDataset train, BatchSampler batches, IReadOnlyList<ParameterGroupSpec> groups,
        int steps, bool frozenBackbone, string phase, List<StepLoss> losses, int seed)
    {
        var optimizer = optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, lr: g.LearningRate, beta1: 0.9, beta2: 0.999,
            eps: 1e-8, weight_decay: g.WeightDecay, amsgrad: false, maximize: false)));
        var paramGroups = optimizer.ParamGroups.ToList();
        var augmentRng = new Random(seed);
        int positives = train.Labels.Count(l => l == 1), negatives = train.Labels.Count(l => l == 0);
        if (positives == 0 || negatives == 0)
            throw new UserInputException($"training patches need both classes (IDC {positives}, non-IDC {negatives})");
        using var posWeight = tensor(new[] { (float)negatives / positives }, device: device);
        model.train();
        if (frozenBackbone) model.Backbone.eval();
        int every = Math.Max(1, steps / 8);
        double running = double.NaN;
        for (int step = 0; step < steps; step++)
        {
            double factor = LearningRateSchedule.WarmupCosine(step, steps, config.WarmupFraction);
            for (int g = 0; g < paramGroups.Count; g++) paramGroups[g].LearningRate = groups[g].LearningRate * factor;
            using var scope = NewDisposeScope();
            var index = batches.Next();
            var images = train.Images.index_select(0, index);
            if (config.Augment) images = BatchAugmentation.Dihedral(images, augmentRng);
            var x = BackbonePreprocessing.FromRgb(images.to(device));
            var y = tensor(index.data<long>().ToArray().Select(i => (float)train.Labels[i]).ToArray(), device: device);
            Tensor logits;
            if (frozenBackbone)
            {
                Tensor features;
                using (no_grad()) features = model.Backbone.forward(x);
                logits = model.ForwardHead(features);
            }
            else logits = model.forward(x);
            var loss = nn.functional.binary_cross_entropy_with_logits(logits, y, pos_weights: posWeight);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            double value = loss.item<float>();
            losses.Add(new StepLoss(losses.Count + 1, phase, value));
            running = double.IsNaN(running) ? value : 0.9 * running + 0.1 * value;
            log.Progress(phase, step + 1, steps, $"loss {running:F3}", every);
        }
        optimizer.Dispose();
    }

    /// <summary>Probability of IDC for every patch (eval mode, batched, no gradients).</summary>
    public static float[] PredictProbabilities(PatchClassifier model, PatchDataset data, Device device, int batchSize = 128)
    {
        model.eval();
        var result = new float[data.Count];
        using var noGrad = no_grad();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batchSize, data.Count - start);
            var x = BackbonePreprocessing.FromRgb(data.Images.narrow(0, start, n).to(device));
            var p = sigmoid(model.forward(x)).cpu().data<float>().ToArray();
            Array.Copy(p, 0, result, start, n);
        }
        return result;
    }
}

/// <summary>Seeded epochs of shuffled indices, cut into fixed-size batches (the last short batch is carried over).</summary>
internal sealed class BatchSampler(PatchDataset data, int batchSize, int seed)
{
    private readonly Random _rng = new(seed);
    private readonly Queue<long> _queue = new();

    public Tensor Next()
    {
        while (_queue.Count < batchSize)
        {
            var epoch = Enumerable.Range(0, data.Count).Select(i => (long)i).ToArray();
            _rng.Shuffle(epoch);
            foreach (var i in epoch) _queue.Enqueue(i);
        }
        var batch = new long[batchSize];
        for (int i = 0; i < batchSize; i++) batch[i] = _queue.Dequeue();
        return tensor(batch, dtype: ScalarType.Int64);
    }
}
