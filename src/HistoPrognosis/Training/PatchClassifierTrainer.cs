using System.Diagnostics;
using HistoPrognosis.Data;
using HistoPrognosis.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Training;

/// <summary>Loss at one optimizer step, for learning curves.</summary>
public sealed record StepLoss(int Step, string Phase, double Loss);

/// <summary>A validation measurement during training (e.g. ROC AUC at 10/25/50/100% of the steps).</summary>
public sealed record EvaluationPoint(int Step, double Value);

/// <summary>What a training run did: its loss curve, evaluations and wall time.</summary>
public sealed record TrainingHistory(IReadOnlyList<StepLoss> Losses, IReadOnlyList<EvaluationPoint> Evaluations, double Seconds, int BestStep);

/// <summary>
/// Optional hooks of a run: evaluation at chosen steps (higher is better), early stopping on it, and a checkpoint
/// folder from which an interrupted run resumes.
/// </summary>
public sealed record TrainingOptions
{
    public Func<PatchClassifier, double>? Evaluate { get; init; }
    public IReadOnlySet<int> EvaluateAtSteps { get; init; } = new HashSet<int>();
    /// <summary>Stop after this many evaluations without improvement and restore the best weights (0 = never).</summary>
    public int EarlyStoppingPatience { get; init; }
    public string? CheckpointDirectory { get; init; }
}

/// <summary>
/// Trains a patch classifier with a class-balanced logistic loss under a <see cref="FinetunePolicy"/>. Frozen
/// stages keep BatchNorm in eval mode; trainable stages get discriminative learning rates (head × decay^depth)
/// unless the phase is uniform (scratch). Every policy spends the same number of optimizer steps and batch size,
/// so comparisons are budget-matched. Warm-up + cosine per phase; AdamW without weight decay on norms and biases.
/// </summary>
public sealed class PatchClassifierTrainer(FinetuneConfig config, Device device, PipelineLog log)
{
    public TrainingHistory TrainTransfer(PatchClassifier model, PatchDataset train, int seed, string label = "transfer") =>
        Train(model, train, FinetunePolicy.Discriminative, seed, new TrainingOptions(), label);

    public TrainingHistory TrainScratch(PatchClassifier model, PatchDataset train, int seed, string label = "scratch") =>
        Train(model, train, FinetunePolicy.Scratch, seed, new TrainingOptions(), label);

    public TrainingHistory Train(PatchClassifier model, PatchDataset train, FinetunePolicy policy, int seed, TrainingOptions options, string label)
    {
        config.Validate();
        var clock = Stopwatch.StartNew();
        int positives = train.Labels.Count(l => l == 1), negatives = train.Labels.Count(l => l == 0);
        if (positives == 0 || negatives == 0)
            throw new UserInputException($"training patches need both classes (IDC {positives}, non-IDC {negatives})");
        using var posWeight = tensor(new[] { (float)negatives / positives }, device: device);
        var phases = PhasePlan.For(policy, config, model.Backbone.StageNames);
        var lora = policy == FinetunePolicy.Lora ? LoraAdapters.Create(model.Backbone, config.Lora, seed, device, log) : null;
        try
        {
            return Train(model, train, policy, seed, options, label, phases, lora, posWeight, clock);
        }
        finally
        {
            lora?.Dispose();
        }
    }

    private TrainingHistory Train(PatchClassifier model, PatchDataset train, FinetunePolicy policy, int seed, TrainingOptions options, string label,
        IReadOnlyList<TrainingPhase> phases, LoraAdapters? lora, Tensor posWeight, Stopwatch clock)
    {
        // What a checkpoint holds: the classifier, and the adapters while LoRA trains.
        nn.Module trained = lora is null ? model : new AdaptedModule(model, lora);
        var checkpoint = options.CheckpointDirectory is { } dir
            ? new TrainingCheckpoint(dir, TrainingCheckpoint.Key(config, policy, seed, label, options.EvaluateAtSteps.Order(), options.EarlyStoppingPatience, train.Paths, train.Labels))
            : null;
        var resumed = checkpoint?.TryResume(trained, log);
        var state = resumed ?? new TrainingState();
        var batches = new BatchSampler(train, config.BatchSize, seed);
        var augmentRng = new Random(seed + 1);
        var augmentation = AugmentationPlan.Parse(config.Augment);
        // The worker reads the pixels through a handle of its own (the same storage, no copy), released only after the
        // prefetcher has joined the worker: declared first, disposed last, also when a step throws.
        using var pixels = train.Images.alias().DetachFromDisposeScope();
        var labels = train.Labels;
        // Every batch of the plan is drawn (also those a resumed run skips), so a resumed run sees the same data.
        using var prefetcher = new BatchPrefetcher(() => Prepare(pixels, labels, batches, augmentation, augmentRng), phases.Sum(p => p.Steps));
        double secondsBefore = state.SecondsBeforeResume;
        Dictionary<string, Tensor>? bestInMemory = null;
        int globalStep = 0;
        for (int phaseIndex = 0; phaseIndex < phases.Count && !state.Stopped; phaseIndex++)
        {
            var phase = phases[phaseIndex];
            var groups = Groups(model, phase, lora);
            if (phase.TrainableStages.Count > 0 && !phase.UniformLearningRate)
                log.Info($"{label} {phase.Name}: learning rates " + string.Join(", ",
                    groups.Where(g => !g.Name.EndsWith(".norm_bias")).Select(g => $"{g.Name} {g.LearningRate:G3}")));
            SetTrainable(model, phase);
            using var optimizer = optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, lr: g.LearningRate, beta1: 0.9,
                beta2: 0.999, eps: 1e-8, weight_decay: g.WeightDecay, amsgrad: false, maximize: false)));
            // The moments of the phase the checkpoint was taken in; a later phase starts with fresh ones, as it would have.
            if (resumed is not null && resumed.Step > 0 && resumed.Phase == phaseIndex) checkpoint!.RestoreOptimizer(optimizer, resumed);
            var paramGroups = optimizer.ParamGroups.ToList();
            double running = double.NaN;
            for (int step = 0; step < phase.Steps && !state.Stopped; step++, globalStep++)
            {
                using var scope = NewDisposeScope();
                using var batch = prefetcher.Next();
                if (globalStep < state.Step) continue;

                double factor = LearningRateSchedule.WarmupCosine(step, phase.Steps, config.WarmupFraction);
                for (int g = 0; g < paramGroups.Count; g++) paramGroups[g].LearningRate = groups[g].LearningRate * factor;
                var x = model.Backbone.Preprocess(batch.Images.to(device));
                var y = tensor(batch.Labels, device: device);
                Tensor logits;
                if (!phase.BackboneTrains)
                {
                    Tensor features;
                    using (no_grad()) features = model.Backbone.forward(x);
                    logits = model.ForwardHead(features);
                }
                else logits = model.forward(x);
                var loss = nn.functional.binary_cross_entropy_with_logits(logits, y, pos_weights: posWeight);
                optimizer.zero_grad();
                loss.backward();
                FusedAdamW.Step(optimizer); // ahead of AdamW.step in the whole step in 4 of 5 rounds, tied in one (bench/backbone/RESULTS.md)
                double value = loss.item<float>();
                state.Losses.Add(new StepLoss(globalStep + 1, phase.Name, value));
                running = double.IsNaN(running) ? value : 0.9 * running + 0.1 * value;
                log.Progress($"{label} {phase.Name}", step + 1, phase.Steps, $"loss {running:F3}", Math.Max(1, phase.Steps / 8));
                CrashPoint.Hit("train.step");

                if (options.Evaluate is { } evaluate && options.EvaluateAtSteps.Contains(globalStep + 1))
                {
                    double score;
                    using (lora?.Merged()) score = evaluate(model); // evaluation folds BatchNorm: the updates must be in the kernels
                    SetTrainable(model, phase); // evaluation switched to eval mode
                    state.Evaluations.Add(new EvaluationPoint(globalStep + 1, score));
                    log.Info($"{label} step {globalStep + 1}: validation {score:F4}");
                    if (score > state.BestValue)
                    {
                        state.BestValue = score;
                        state.BestStep = globalStep + 1;
                        state.SinceBest = 0;
                        if (checkpoint is not null) checkpoint.SaveBest(trained, state.BestStep);
                        else if (options.EarlyStoppingPatience > 0) bestInMemory = Snapshot(trained, bestInMemory);
                    }
                    else if (options.EarlyStoppingPatience > 0 && ++state.SinceBest >= options.EarlyStoppingPatience)
                    {
                        log.Info($"{label}: early stopping at step {globalStep + 1} (best {state.BestValue:F4} at step {state.BestStep})");
                        state.Stopped = true;
                    }
                    state.Step = globalStep + 1;
                    state.Phase = phaseIndex;
                    state.SecondsBeforeResume = secondsBefore + clock.Elapsed.TotalSeconds;
                    checkpoint?.Save(trained, optimizer, state);
                }
            }
        }
        if (options.EarlyStoppingPatience > 0 && state.BestStep > 0)
        {
            if (checkpoint is not null) checkpoint.RestoreBest(trained, state.BestStep);
            else if (bestInMemory is not null)
            {
                trained.load_state_dict(bestInMemory);
                foreach (var t in bestInMemory.Values) t.Dispose();
            }
        }
        lora?.MergeIntoBackbone(); // a plain backbone from here on: saved, extracted and exported as any other
        model.eval();
        return new TrainingHistory(state.Losses, state.Evaluations, secondsBefore + clock.Elapsed.TotalSeconds, state.BestStep);
    }

    // Runs on the prefetch thread: the sampler and the augmentation generator are used by it alone, in batch order.
    // Everything made here is freed here, except the batch's images: detached from every scope, they pass to the
    // consumer with the batch. No implicit Scalars (their finalizer may free them during a native call).
    internal static PreparedBatch Prepare(Tensor pixels, int[] labels, BatchSampler batches, AugmentationPlan augmentation, Random rng)
    {
        var drawn = batches.Next();
        var batchLabels = drawn.Select(i => (float)labels[i]).ToArray();
        using var scope = NewDisposeScope();
        var index = tensor(drawn, dtype: ScalarType.Int64);
        var images = pixels.index_select(0, index);
        if (augmentation.Pixels is { } transform) images = BatchAugmentation.Pixels(images, transform, rng);
        if (augmentation.Dihedral) images = BatchAugmentation.Dihedral(images, rng);
        return new PreparedBatch(images.DetachFromDisposeScope(), batchLabels);
    }

    private static Dictionary<string, Tensor> Snapshot(nn.Module model, Dictionary<string, Tensor>? previous)
    {
        foreach (var t in previous?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().MoveToOuterDisposeScope());
    }

    private IReadOnlyList<ParameterGroupSpec> Groups(PatchClassifier model, TrainingPhase phase, LoraAdapters? lora)
    {
        if (phase.UniformLearningRate)
            return ParameterGroups.Uniform("all", model.parameters(), config.ScratchLearningRate, config.WeightDecay);
        var open = ParameterGroups.OpenIn(ParameterGroups.Discriminative(model, config.HeadLearningRate, config.DecayFor(model.Backbone), config.WeightDecay), phase);
        return phase.AdaptersTrain ? [.. open, .. ParameterGroups.Lora(lora!, config.HeadLearningRate)] : open;
    }

    /// <summary>Frozen stages: no gradients and BatchNorm statistics fixed (eval mode).</summary>
    private static void SetTrainable(PatchClassifier model, TrainingPhase phase)
    {
        model.train();
        foreach (var stage in model.Backbone.StageNames)
        {
            bool open = phase.TrainableStages.Contains(stage);
            foreach (var p in model.Backbone.StageParameters(stage)) p.requires_grad = open;
        }
        if (phase.TrainableStages.Count < model.Backbone.StageNames.Count)
        {
            // Put BatchNorm of frozen stages in eval mode; with no stage open the whole backbone is frozen.
            foreach (var (name, module) in model.Backbone.named_modules())
                if (module is BatchNorm2d norm && !phase.TrainableStages.Any(s => StageOf(name) == s)) norm.eval();
        }
    }

    private static string StageOf(string moduleName)
    {
        var first = moduleName.Split('.')[0];
        return first.StartsWith("layer") ? first : "stem";
    }

    /// <summary>Probability of IDC for every patch (eval mode, batched, no gradients).</summary>
    public static float[] PredictProbabilities(PatchClassifier model, PatchDataset data, Device device, int batchSize = 128)
    {
        model.eval();
        var result = new float[data.Count];
        using var noGrad = no_grad();
        using var folded = BatchNormFolding.Fold(model.Backbone);
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batchSize, data.Count - start);
            var x = model.Backbone.Preprocess(data.Images.narrow(0, start, n).to(device)); // contiguous: see FeatureExtractor
            var p = sigmoid(model.forward(x)).cpu().contiguous().data<float>().ToArray();
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

    /// <summary>The dataset indices of the next batch.</summary>
    public long[] Next()
    {
        while (_queue.Count < batchSize)
        {
            var epoch = Enumerable.Range(0, data.Count).Select(i => (long)i).ToArray();
            _rng.Shuffle(epoch);
            foreach (var i in epoch) _queue.Enqueue(i);
        }
        var batch = new long[batchSize];
        for (int i = 0; i < batchSize; i++) batch[i] = _queue.Dequeue();
        return batch;
    }
}
