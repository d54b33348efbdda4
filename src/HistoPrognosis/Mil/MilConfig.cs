namespace HistoPrognosis.Mil;

/// <summary>
/// Gated-attention MIL with a Cox head. Early stopping keeps the epoch with the lowest validation loss.
/// With tens of patients a 512-d input overfits within a few epochs, so instance features are standardised and
/// projected on their leading principal components (fitted on training instances only) and the network is small.
/// </summary>
/// <param name="PcaComponents">Principal components kept (0 = use the standardised features as they are).</param>
public sealed record MilConfig(
    int Epochs = 80,
    double LearningRate = 5e-4,
    double WeightDecay = 1e-2,
    int HiddenDimension = 32,
    int AttentionDimension = 16,
    double Dropout = 0.25,
    int PcaComponents = 16)
{
    public void Validate()
    {
        if (Epochs < 1) throw new UserInputException($"mil.epochs must be ≥ 1, got {Epochs}");
        if (LearningRate <= 0) throw new UserInputException($"mil.learning_rate must be positive, got {LearningRate}");
        if (PcaComponents < 0) throw new UserInputException($"mil.pca_components must be ≥ 0, got {PcaComponents}");
    }
}
