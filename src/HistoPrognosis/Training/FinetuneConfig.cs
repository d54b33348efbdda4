using HistoPrognosis.Configuration;
using HistoPrognosis.Training.EndToEnd;

namespace HistoPrognosis.Training;

/// <summary>What fine-tuning optimises: the patch task (IDC labels) or the patient-level prognosis.</summary>
public enum FinetuneObjective
{
    Patches,
    Prognosis,
}

/// <summary>
/// How a patch classifier is trained (the <c>finetune</c> section of a run config). Scratch training spends the same
/// step budget (head + full steps) at one learning rate.
/// </summary>
public sealed record FinetuneConfig
{
    /// <summary>In <c>histoprog run</c>: fine-tune the backbone on the training patients (on <see cref="Objective"/>).</summary>
    public bool Enabled { get; init; }
    /// <summary>
    /// In <c>histoprog run</c>: what the backbone learns from — the patch labels (then frozen features + MIL), or the
    /// prognosis itself, end to end through the MIL survival loss (<see cref="EndToEnd"/>; holdout protocol).
    /// </summary>
    public FinetuneObjective Objective { get; init; } = FinetuneObjective.Patches;
    public FinetunePolicy Policy { get; init; } = FinetunePolicy.Discriminative;
    /// <summary>Input size in px; set from <c>features.image_size</c> so the backbone is fine-tuned at the size it extracts at.</summary>
    [NotConfigured]
    public int ImageSize { get; init; } = 96;
    public int BatchSize { get; init; } = 32;
    /// <summary>Optimizer steps on the head with the backbone frozen (transfer policies only).</summary>
    public int HeadOnlySteps { get; init; } = 40;
    /// <summary>Optimizer steps on all (or the unfrozen) layers.</summary>
    public int FullSteps { get; init; } = 120;
    /// <summary>Learning rate of the head; stage k layers from the head get HeadLearningRate × LayerDecay^k.</summary>
    public double HeadLearningRate { get; init; } = 1e-3;
    /// <summary>Discriminative decay per stage (&lt; 1: shallower stages learn slower).</summary>
    public double LayerDecay { get; init; } = 0.5;
    /// <summary>The same for ViTs, per block (layer-wise learning-rate decay; BEiT and timm recipes use 0.65–0.75), embeddings lowest.</summary>
    public double VitLayerDecay { get; init; } = 0.75;
    /// <summary>Backbone stages from the input side that never train under discriminative and gradual (ResNet: stem, layer1, …; ViT: embed, blocks.0, …).</summary>
    public int FreezeFirst { get; init; }
    /// <summary>One learning rate for every layer of the randomly initialised twin.</summary>
    public double ScratchLearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 1e-4;
    public double WarmupFraction { get; init; } = 0.1;
    /// <summary>Training-time augmentation, see <see cref="AugmentationPlan.Parse"/> (e.g. <c>flips,hed:0.05</c>, <c>none</c>).</summary>
    public string Augment { get; init; } = AugmentationPlan.Default;
    /// <summary>Validation ROC AUC every this many steps (and at the end).</summary>
    public int EvaluateEvery { get; init; } = 25;
    /// <summary>Stop after this many evaluations without improvement (0 = never), keeping the best.</summary>
    public int EarlyStoppingPatience { get; init; } = 4;
    /// <summary>Adapters of the <c>lora</c> policy: rank and alpha.</summary>
    public LoraConfig Lora { get; init; } = new();

    /// <summary>The per-stage decay for this backbone: <see cref="VitLayerDecay"/> for ViTs (a stage per block), else <see cref="LayerDecay"/>.</summary>
    public double DecayFor(Models.Backbone backbone) => backbone is Models.Vit.VisionTransformer ? VitLayerDecay : LayerDecay;
    /// <summary>End-to-end training (<c>train --end-to-end</c>, objective prognosis): patients and patches per step, BatchNorm, validation hold-out.</summary>
    public EndToEndConfig EndToEnd { get; init; } = new();

    public int TotalSteps => HeadOnlySteps + FullSteps;

    public void Validate()
    {
        if (ImageSize < 32) throw new UserInputException($"finetune image size (features.image_size) must be ≥ 32, got {ImageSize}");
        if (BatchSize < 2) throw new UserInputException($"finetune.batch_size must be ≥ 2, got {BatchSize}");
        if (HeadOnlySteps < 0 || FullSteps < 0 || TotalSteps == 0) throw new UserInputException("finetune.head_only_steps and full_steps must be non-negative with a positive total");
        if (LayerDecay is <= 0 or > 1) throw new UserInputException($"finetune.layer_decay must be in (0, 1], got {LayerDecay}");
        if (VitLayerDecay is <= 0 or > 1) throw new UserInputException($"finetune.vit_layer_decay must be in (0, 1], got {VitLayerDecay}");
        if (FreezeFirst < 0) throw new UserInputException($"finetune.freeze_first must be ≥ 0, got {FreezeFirst}");
        AugmentationPlan.Parse(Augment);
        if (!(HeadLearningRate > 0) || !(ScratchLearningRate > 0)) throw new UserInputException("finetune learning rates must be positive");
        if (EvaluateEvery < 1) throw new UserInputException($"finetune.evaluate_every must be ≥ 1, got {EvaluateEvery}");
        if (EarlyStoppingPatience < 0) throw new UserInputException($"finetune.early_stopping_patience must be ≥ 0, got {EarlyStoppingPatience}");
        Lora.Validate();
        EndToEnd.Validate();
    }
}
