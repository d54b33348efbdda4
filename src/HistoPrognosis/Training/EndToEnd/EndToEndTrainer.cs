using System.Diagnostics;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Survival;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Training.EndToEnd;

/// <summary>
/// Trains backbone + MIL aggregator + survival head jointly from patient follow-up only. Each optimizer step sums
/// the gradients of <see cref="EndToEndSetup.AccumulationSteps"/> micro-batches of patients (K sampled patches
/// each, augmented), the survival loss ranking the patients of a micro-batch. The policy's phases
/// (<see cref="PhasePlan"/>) open backbone stages with discriminative rates (head × decay^depth), warm-up + cosine
/// per phase, AdamW. Every <c>evaluate_every</c> steps the validation Harrell C is measured on all patches of the
/// validation patients; the best weights are kept and training stops after <c>early_stopping_patience</c>
/// evaluations without improvement. Deterministic on the CPU for a seed.
/// </summary>
public sealed class EndToEndTrainer(EndToEndSetup config, Device device, PipelineLog log)
{
    /// <summary>The untrained model: head fitted to the training outcomes (time bins), network seeded from the config.</summary>
    public EndToEndModel Initialise(Backbone backbone, PatientPatches train)
    {
        config.Validate();
        var m = config.Model;
        var head = SurvivalHead.Create(m.Loss, train.Time, train.Event, m.HorizonMonths, m.TimeBins, m.Censoring);
        manual_seed(config.Seed);
        var network = new EndToEndNetwork(backbone, m, head.OutputCount, train.ClinicalWidth);
        network.to(device);
        if (config.Optimisation.Policy == FinetunePolicy.Lora)
            network.AttachLora(LoraAdapters.Create(backbone, config.Optimisation.Lora, config.Seed, device, log));
        return new EndToEndModel(network, head, config, device);
    }

    /// <summary>Builds and trains a model on <paramref name="backbone"/>, which the model then owns. Inputs are checked before anything is built.</summary>
    /// <param name="checkpointDirectory">where checkpoints go (a killed run resumes from there bit-identically); null: none</param>
    public EndToEndModel Train(Backbone backbone, PatientPatches train, PatientPatches validation, string label = "end-to-end", string? checkpointDirectory = null)
    {
        var sampler = Sampler(train);
        var model = Initialise(backbone, train);
        try
        {
            Train(model, train, validation, sampler, label, checkpointDirectory);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Trains an initialised model in place and calibrates its head on the training patients.</summary>
    public TrainingHistory Train(EndToEndModel model, PatientPatches train, PatientPatches validation, string label = "end-to-end", string? checkpointDirectory = null) =>
        Train(model, train, validation, Sampler(train), label, checkpointDirectory);

    private PatientPatchSampler Sampler(PatientPatches train)
    {
        config.Validate();
        return new PatientPatchSampler(train, config.EndToEnd.PatientsPerBatch, config.EndToEnd.PatchesPerPatient, config.Model.Loss == SurvivalLoss.Cox, config.Seed);
    }

    // Resume: the sampler's draws are replayed for the steps a checkpoint already holds (they are cheap: indices
    // only); augmentation and dropout are seeded per step, so a resumed step draws what it would have drawn.
    private TrainingHistory Train(EndToEndModel model, PatientPatches train, PatientPatches validation, PatientPatchSampler sampler, string label,
        string? checkpointDirectory)
    {
        var clock = Stopwatch.StartNew();
        var opt = config.Optimisation;
        var network = model.Network;
        // What a checkpoint holds: the network, and the adapters while LoRA trains.
        nn.Module trained = network.Lora is { } lora ? new AdaptedModule(network, lora) : network;
        bool validate = CanValidate(validation, label);
        var phases = PhasePlan.For(opt.Policy, opt, network.Backbone.StageNames);
        int totalSteps = phases.Sum(p => p.Steps);
        var augmentation = AugmentationPlan.Parse(opt.Augment);
        var headLoss = HeadLoss(model.Head, train);
        var checkpoint = checkpointDirectory is null ? null
            : new TrainingCheckpoint(checkpointDirectory, TrainingCheckpoint.Key(config, label, train.PatientIds, train.Time, train.Event, validation.PatientIds, train.Patches.Paths));
        var resumed = checkpoint?.TryResume(trained, log);
        var state = resumed ?? new TrainingState();
        Dictionary<string, Tensor>? bestState = null;
        try
        {
            // A resumed run's checkpoint already holds the fitted projection, the warm-started head (and step 0's score,
            // when it was the best).
            if (resumed is null)
            {
                var bags = model.Embeddings(train).ToList();
                try
                {
                    network.FitProjection(bags);
                    if (config.EndToEnd.WarmStartHead) FitHead(model, bags, train.Clinical, headLoss, label + " head warm start", seedStep: 0);
                }
                finally
                {
                    foreach (var b in bags) b.Dispose();
                }
                if (config.EndToEnd.WarmStartHead && validate) Evaluate(model, trained, validation, phases[0], 0, state, checkpoint, ref bestState, label);
            }
            int step = 0;
            for (int phaseIndex = 0; phaseIndex < phases.Count && !state.Stopped; phaseIndex++)
            {
                var phase = phases[phaseIndex];
                var groups = Groups(network, phase);
                SetTrainable(network, phase);
                using var optimizer = ParameterGroups.AdamW(groups);
                if (resumed is { Step: > 0 } && resumed.Phase == phaseIndex) checkpoint!.RestoreOptimizer(optimizer, resumed);
                var paramGroups = optimizer.ParamGroups.ToList();
                for (int s = 0; s < phase.Steps && !state.Stopped; s++, step++)
                {
                    var batches = Enumerable.Range(0, config.EndToEnd.AccumulationSteps).Select(_ => sampler.Next()).ToList();
                    if (step < state.Step) continue;
                    double factor = LearningRateSchedule.WarmupCosine(s, phase.Steps, opt.WarmupFraction);
                    for (int g = 0; g < paramGroups.Count; g++) paramGroups[g].LearningRate = groups[g].LearningRate * factor;
                    manual_seed(StableSeed.Of(config.Seed + 2, step)); // dropout draws
                    optimizer.zero_grad();
                    double loss = 0;
                    for (int a = 0; a < batches.Count; a++)
                    {
                        using var scope = NewDisposeScope();
                        var augmentRng = new Random(StableSeed.Of(config.Seed + 1, step, a));
                        var micro = BatchLoss(model, train, batches[a], phase.BackboneTrains, augmentation, augmentRng, headLoss) / batches.Count;
                        micro.backward();
                        loss += micro.item<float>();
                    }
                    FusedAdamW.Step(optimizer);
                    state.Losses.Add(new StepLoss(step + 1, phase.Name, loss));
                    log.Progress($"{label} {phase.Name}", s + 1, phase.Steps, $"loss {loss:F3}", Math.Max(1, phase.Steps / 8));
                    CrashPoint.Hit("train.step");

                    if ((step + 1) % opt.EvaluateEvery != 0 && step + 1 != totalSteps) continue;
                    if (validate) Evaluate(model, trained, validation, phase, step + 1, state, checkpoint, ref bestState, label);
                    state.Step = step + 1;
                    state.Phase = phaseIndex;
                    state.SecondsBeforeResume = (resumed?.SecondsBeforeResume ?? 0) + clock.Elapsed.TotalSeconds;
                    checkpoint?.Save(trained, optimizer, state);
                }
            }
            if (state.Evaluations.Count > 0) // the best evaluated state, the warm start (step 0) included
            {
                if (checkpoint is not null) checkpoint.RestoreBest(trained, state.BestStep);
                else if (bestState is not null) trained.load_state_dict(bestState);
            }
            network.MergeLora();
        }
        finally
        {
            foreach (var t in bestState?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
        }
        // Deterministic from the kept state, so a resumed run refits to the same bytes.
        var fitted = train;
        if (config.EndToEnd.RefitHeadOnAllPatients && validation.Count > 0)
        {
            fitted = train.Concat(validation);
            var bags = model.Embeddings(fitted).ToList();
            try
            {
                FitHead(model, bags, fitted.Clinical, HeadLoss(model.Head, fitted), label + " head refit on all patients", seedStep: 1);
            }
            finally
            {
                foreach (var b in bags) b.Dispose();
            }
        }
        network.eval();
        model.Head.Calibrate(model.Outputs(fitted), fitted.Time, fitted.Event);
        var history = new TrainingHistory(state.Losses, state.Evaluations, (resumed?.SecondsBeforeResume ?? 0) + clock.Elapsed.TotalSeconds, state.BestStep);
        model.History = history;
        log.Info($"{label}: {state.Losses.Count} steps in {history.Seconds:F1} s" +
                 (validate ? $", kept step {state.BestStep}{(state.BestStep == 0 ? " (the warm-started head on the starting backbone)" : "")} (validation C {state.BestValue:F3})" : ", no validation: kept the last step") +
                 (fitted.Count > train.Count ? $"; head refit on all {fitted.Count} patients" : ""));
        return history;
    }

    /// <summary>Validation Harrell C at <paramref name="step"/>: keeps the best weights, counts towards early stopping.</summary>
    private void Evaluate(EndToEndModel model, nn.Module trained, PatientPatches validation, TrainingPhase phase, int step, TrainingState state, TrainingCheckpoint? checkpoint,
        ref Dictionary<string, Tensor>? bestState, string label)
    {
        var network = model.Network;
        double c = Concordance.Harrell(validation.Time, validation.Event, model.Risks(validation)).Value;
        SetTrainable(network, phase); // inference switched to eval mode
        state.Evaluations.Add(new EvaluationPoint(step, c));
        if (c > state.BestValue)
        {
            (state.BestValue, state.BestStep, state.SinceBest) = (c, step, 0);
            if (checkpoint is not null) checkpoint.SaveBest(trained, step);
            else
            {
                foreach (var t in bestState?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
                bestState = trained.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            }
        }
        else if (config.Optimisation.EarlyStoppingPatience > 0 && ++state.SinceBest >= config.Optimisation.EarlyStoppingPatience)
        {
            log.Info($"{label}: early stopping at step {step} (best validation C {state.BestValue:F3} at step {state.BestStep})");
            state.Stopped = true;
        }
    }

    /// <summary>
    /// Fits the aggregator and head, full-batch, on the backbone's embeddings of every patch of these patients
    /// (computed once; the backbone does not move), as frozen-feature MIL trains: <c>model.mil</c> epochs, rate and
    /// weight decay, dropout seeded by <paramref name="seedStep"/>. Keeps the last epoch. The warm start (before any
    /// step; early stopping then weighs it as step 0) and the refit on all patients (after the kept step).
    /// </summary>
    private void FitHead(EndToEndModel model, IReadOnlyList<Tensor> bags, float[][] clinical, Func<Tensor, int[], Tensor> headLoss, string label, int seedStep)
    {
        var mil = config.Model.Mil;
        var network = model.Network;
        var all = Enumerable.Range(0, bags.Count).ToArray();
        // The aggregator and head only: the fitted projection stays the frozen path's PCA while they fit.
        using var optimizer = optim.AdamW(network.AggregatorParameters, lr: mil.LearningRate, weight_decay: mil.WeightDecay);
        network.train();
        manual_seed(StableSeed.Of(config.Seed + 3, seedStep)); // dropout draws
        for (int epoch = 1; epoch <= mil.Epochs; epoch++)
        {
            using var scope = NewDisposeScope();
            var runs = bags.Select((b, i) => network.RunBag(b, clinical[i])).ToList();
            var loss = WithInstanceLoss(headLoss(cat(runs.Select(r => r.Outputs).ToList(), 0), all), runs.Select(r => r.InstanceLoss).OfType<Tensor>().ToList());
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            log.Progress(label, epoch, mil.Epochs, $"loss {loss.item<float>():F3}", Math.Max(1, mil.Epochs / 5));
        }
    }

    /// <summary>The survival loss with CLAM's instance loss mixed in, as <see cref="PrognosisModel"/> does.</summary>
    private Tensor WithInstanceLoss(Tensor loss, IReadOnlyList<Tensor> instanceLosses)
    {
        if (instanceLosses.Count == 0) return loss;
        double w = config.Model.InstanceLossWeight;
        return loss * (1 - w) + stack(instanceLosses).mean() * w;
    }

    /// <summary>Survival loss of one micro-batch: one backbone pass over all its patches, then one bag per patient.</summary>
    private Tensor BatchLoss(EndToEndModel model, PatientPatches train, PatientBatch batch, bool backboneTrains, AugmentationPlan augmentation, Random rng,
        Func<Tensor, int[], Tensor> headLoss)
    {
        using var index = tensor(batch.Rows.SelectMany(r => r).ToArray(), dtype: ScalarType.Int64);
        var images = train.Patches.Images.index_select(0, index);
        if (augmentation.Pixels is { } pixels) images = BatchAugmentation.Pixels(images, pixels, rng);
        if (augmentation.Dihedral) images = BatchAugmentation.Dihedral(images, rng);
        images = images.to(device).contiguous();
        Tensor embeddings;
        if (backboneTrains) embeddings = model.Network.Embed(images);
        else using (no_grad()) embeddings = model.Network.Embed(images);
        var outputs = new List<Tensor>(batch.Patients.Length);
        var instanceLosses = new List<Tensor>();
        long offset = 0;
        for (int p = 0; p < batch.Patients.Length; p++)
        {
            var rows = batch.Rows[p];
            var run = model.Network.RunBag(embeddings.narrow(0, offset, rows.Length), train.Clinical[batch.Patients[p]]);
            outputs.Add(run.Outputs);
            if (run.InstanceLoss is { } instance) instanceLosses.Add(instance);
            offset += rows.Length;
        }
        return WithInstanceLoss(headLoss(cat(outputs, 0), batch.Patients), instanceLosses);
    }

    /// <summary>
    /// The head's loss over a micro-batch (outputs, training positions). The five-year loss takes its targets and IPCW
    /// weights from all training patients: a censoring Kaplan–Meier of one micro-batch would be noisy, and a batch
    /// of early-censored patients would have no known status at all.
    /// </summary>
    private Func<Tensor, int[], Tensor> HeadLoss(SurvivalHead head, PatientPatches train)
    {
        if (head is FiveYearHead)
        {
            var (target, weight) = FiveYearLoss.Targets(train.Time, train.Event, head.HorizonMonths, config.Model.Censoring);
            return (outputs, patients) => FiveYearLoss.Loss(outputs.select(1, 0), patients.Select(i => target[i]).ToArray(), patients.Select(i => weight[i]).ToArray());
        }
        return (outputs, patients) => head.Loss(outputs, patients.Select(i => train.Time[i]).ToArray(), patients.Select(i => train.Event[i]).ToArray());
    }

    private IReadOnlyList<ParameterGroupSpec> Groups(EndToEndNetwork network, TrainingPhase phase)
    {
        var opt = config.Optimisation;
        double headDecay = config.Model.Mil.WeightDecay;
        if (phase.UniformLearningRate)
            return [.. ParameterGroups.Uniform("head", network.HeadParameters, opt.ScratchLearningRate, headDecay),
                .. ParameterGroups.Uniform("backbone", network.Backbone.parameters(), opt.ScratchLearningRate, opt.WeightDecay)];
        var all = ParameterGroups.Discriminative(network.Backbone, network.HeadParameters, opt.HeadLearningRate, opt.DecayFor(network.Backbone), headDecay, opt.WeightDecay);
        var open = ParameterGroups.OpenIn(all, phase);
        if (phase.AdaptersTrain) open = [.. open, .. ParameterGroups.Lora(network.Lora!, opt.HeadLearningRate)];
        if (phase.TrainableStages.Count > 0)
            log.Info("end-to-end " + phase.Name + ": learning rates " + string.Join(", ", open.Where(g => !g.Name.EndsWith(".norm_bias")).Select(g => $"{g.Name} {g.LearningRate:G3}")));
        return open;
    }

    /// <summary>
    /// Closed stages get no gradients. BatchNorm stays in eval mode (fixed running statistics) unless the config
    /// lets it update and the whole backbone trains: a micro-batch of a few patients' patches is too small and too
    /// correlated for batch statistics.
    /// </summary>
    private void SetTrainable(EndToEndNetwork network, TrainingPhase phase)
    {
        network.train();
        var backbone = network.Backbone;
        foreach (var stage in backbone.StageNames)
        {
            bool open = phase.TrainableStages.Contains(stage);
            foreach (var p in backbone.StageParameters(stage)) p.requires_grad = open;
        }
        if (config.EndToEnd.FreezeBatchNormStatistics || phase.TrainableStages.Count < backbone.StageNames.Count)
            foreach (var module in backbone.modules())
                if (module is BatchNorm2d norm) norm.eval();
    }

    private bool CanValidate(PatientPatches validation, string label)
    {
        if (validation.Count == 0) return false;
        try
        {
            Concordance.Harrell(validation.Time, validation.Event, new double[validation.Count]);
            return true;
        }
        catch (ArgumentException ex)
        {
            log.Info($"{label}: the validation patients cannot be ranked ({ex.Message}); no early stopping, keeping the last step");
            return false;
        }
    }
}
