namespace HistoPrognosis.Mil;

/// <summary>Gated-attention MIL with a Cox head. Early stopping keeps the epoch with the lowest validation loss.</summary>
public sealed record MilConfig(
    int Epochs = 60,
    double LearningRate = 5e-4,
    double WeightDecay = 1e-4,
    int HiddenDimension = 128,
    int AttentionDimension = 64,
    double Dropout = 0.25)
{
    public void Validate()
    {
        if (Epochs < 1) throw new UserInputException($"mil.epochs must be ≥ 1, got {Epochs}");
        if (LearningRate <= 0) throw new UserInputException($"mil.learning_rate must be positive, got {LearningRate}");
    }
}
