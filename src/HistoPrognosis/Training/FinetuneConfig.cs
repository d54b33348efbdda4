namespace HistoPrognosis.Training;

/// <summary>How a patch classifier is trained. Scratch training uses the same step budget (head + full steps).</summary>
/// <param name="HeadOnlySteps">Optimizer steps on the head with the backbone frozen (transfer only).</param>
/// <param name="FullSteps">Optimizer steps on all layers.</param>
/// <param name="HeadLearningRate">Learning rate of the head; stage k layers from the head get HeadLearningRate × LayerDecay^k.</param>
/// <param name="LayerDecay">Discriminative decay per stage (&lt; 1: shallower stages learn slower).</param>
/// <param name="ScratchLearningRate">One learning rate for every layer of the randomly initialised twin.</param>
/// <param name="Augment">Training-time augmentation, see <see cref="AugmentationPlan.Parse"/> (e.g. <c>flips,hed:0.05</c>, <c>none</c>).</param>
public sealed record FinetuneConfig(
    int ImageSize = 64,
    int BatchSize = 32,
    int HeadOnlySteps = 40,
    int FullSteps = 120,
    double HeadLearningRate = 1e-3,
    double LayerDecay = 0.5,
    double ScratchLearningRate = 1e-3,
    double WeightDecay = 1e-4,
    double WarmupFraction = 0.1,
    string Augment = AugmentationPlan.Default)
{
    public int TotalSteps => HeadOnlySteps + FullSteps;

    public void Validate()
    {
        if (ImageSize < 32) throw new UserInputException($"finetune.image_size must be ≥ 32, got {ImageSize}");
        if (BatchSize < 2) throw new UserInputException($"finetune.batch_size must be ≥ 2, got {BatchSize}");
        if (HeadOnlySteps < 0 || FullSteps < 0 || TotalSteps == 0) throw new UserInputException("finetune steps must be non-negative with a positive total");
        if (LayerDecay is <= 0 or > 1) throw new UserInputException($"finetune.layer_decay must be in (0, 1], got {LayerDecay}");
        AugmentationPlan.Parse(Augment);
        if (HeadLearningRate <= 0 || ScratchLearningRate <= 0) throw new UserInputException("learning rates must be positive");
    }
}
