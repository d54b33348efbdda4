namespace HistoPrognosis.Training;

/// <summary>Which layers train, and when.</summary>
public enum FinetunePolicy
{
    /// <summary>Backbone frozen (BatchNorm in eval mode) for the whole budget; only the head learns.</summary>
    Frozen,
    /// <summary>Head only first, then all layers with discriminative learning rates.</summary>
    Discriminative,
    /// <summary>Head only first, then stages unfrozen one at a time from the deepest (layer4 → layer3 → …).</summary>
    Gradual,
    /// <summary>All layers from the first step at one learning rate: the from-scratch baseline.</summary>
    Scratch,
    /// <summary>Head only first, then low-rank adapters (<see cref="LoraAdapters"/>) on the frozen backbone's convolutions, at the head rate.</summary>
    Lora,
}

/// <summary>A stretch of training with a fixed set of trainable backbone stages (and, under LoRA, trainable adapters).</summary>
public sealed record TrainingPhase(string Name, int Steps, IReadOnlyList<string> TrainableStages, bool UniformLearningRate, bool AdaptersTrain = false)
{
    /// <summary>Gradients flow into the backbone (its open stages or its adapters).</summary>
    public bool BackboneTrains => TrainableStages.Count > 0 || AdaptersTrain;
}

public static class PhasePlan
{
    /// <summary>The phases of a policy; every policy spends exactly <see cref="FinetuneConfig.TotalSteps"/> optimizer steps.</summary>
    public static IReadOnlyList<TrainingPhase> For(FinetunePolicy policy, FinetuneConfig config, IReadOnlyList<string> stages)
    {
        int total = config.TotalSteps;
        if (config.FreezeFirst > 0 && policy is FinetunePolicy.Discriminative or FinetunePolicy.Gradual)
        {
            if (config.FreezeFirst >= stages.Count)
                throw new UserInputException($"finetune.freeze_first {config.FreezeFirst} would freeze every stage of the backbone ({string.Join(", ", stages)}); use policy frozen for that");
            stages = stages.Skip(config.FreezeFirst).ToList();
        }
        switch (policy)
        {
            case FinetunePolicy.Frozen:
                return [new TrainingPhase("head-only", total, [], false)];
            case FinetunePolicy.Scratch:
                return [new TrainingPhase("all-layers", total, stages, true)];
            case FinetunePolicy.Discriminative:
                return Phases(("head-only", config.HeadOnlySteps, []), ("all-layers", config.FullSteps, stages));
            case FinetunePolicy.Lora:
                return new[] { new TrainingPhase("head-only", config.HeadOnlySteps, [], false), new TrainingPhase("lora", config.FullSteps, [], false, AdaptersTrain: true) }
                    .Where(p => p.Steps > 0).ToList();
            case FinetunePolicy.Gradual:
            {
                var list = new List<(string, int, IReadOnlyList<string>)> { ("head-only", config.HeadOnlySteps, []) };
                int n = stages.Count;
                for (int k = 1; k <= n; k++)
                {
                    int steps = config.FullSteps * k / n - config.FullSteps * (k - 1) / n;
                    var open = stages.Skip(n - k).ToList();
                    list.Add(($"unfrozen-{open[0]}", steps, open));
                }
                return Phases(list.ToArray());
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(policy));
        }
    }

    private static IReadOnlyList<TrainingPhase> Phases(params (string Name, int Steps, IReadOnlyList<string> Stages)[] phases) =>
        phases.Where(p => p.Steps > 0).Select(p => new TrainingPhase(p.Name, p.Steps, p.Stages, false)).ToList();
}
