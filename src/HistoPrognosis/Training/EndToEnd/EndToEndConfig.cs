using HistoPrognosis.Mil;

namespace HistoPrognosis.Training.EndToEnd;

/// <summary>
/// Joint training of backbone + MIL aggregator + survival head from patient follow-up. The step budget, policy,
/// learning rates (head rate, per-stage decay, scratch rate), warm-up, augmentation and early stopping come from
/// <see cref="Optimisation"/> (its patch <c>BatchSize</c> is unused: a step's batch is patients × patches); the
/// aggregator, loss and MIL network shape from <see cref="Model"/> (its PCA and epochs are unused: see
/// <see cref="EndToEndNetwork"/>).
/// </summary>
public sealed record EndToEndConfig
{
    public FinetuneConfig Optimisation { get; init; } = new();

    public PrognosisConfig Model { get; init; } = new();

    /// <summary>Patients in one micro-batch (the Cox risk set of its loss).</summary>
    public int PatientsPerBatch { get; init; } = 8;

    /// <summary>Patches drawn per patient and step (all of them when a patient has fewer).</summary>
    public int PatchesPerPatient { get; init; } = 16;

    /// <summary>Micro-batches whose gradients are summed into one optimizer step (memory stays one micro-batch).</summary>
    public int AccumulationSteps { get; init; } = 1;

    /// <summary>
    /// Keep every BatchNorm's running statistics fixed (eval mode). Default: a step sees 8 × 16 patches from 8
    /// patients, far too few and too correlated for batch statistics; when off, the statistics update only in
    /// phases where the whole backbone trains.
    /// </summary>
    public bool FreezeBatchNormStatistics { get; init; } = true;

    /// <summary>Patches per backbone forward pass at inference (bounds memory for patients with many patches).</summary>
    public int InferenceChunk { get; init; } = 128;

    /// <summary>
    /// Share of the training patients held out (stratified by event) for the validation C-index that stops training
    /// and picks the kept step; 0 trains on all and keeps the last step. Unlike the frozen-feature MIL (default 0
    /// there), a fine-tuned backbone can overfit a few hundred patients within the budget, so some are held out.
    /// </summary>
    public double ValidationFraction { get; init; } = 0.2;

    public int Seed { get; init; } = 7;

    public void Validate()
    {
        Optimisation.Validate();
        Model.Validate();
        if (Model.Clinical.Count > 0) throw new UserInputException("end-to-end training is image-only for now: model.clinical must be empty");
        if (PatientsPerBatch < 2) throw new UserInputException($"end-to-end patients per batch must be ≥ 2 (a survival loss ranks patients), got {PatientsPerBatch}");
        if (PatchesPerPatient < 1) throw new UserInputException($"end-to-end patches per patient must be ≥ 1, got {PatchesPerPatient}");
        if (AccumulationSteps < 1) throw new UserInputException($"end-to-end accumulation steps must be ≥ 1, got {AccumulationSteps}");
        if (ValidationFraction is < 0 or >= 0.5) throw new UserInputException($"end-to-end validation fraction must be in [0, 0.5), got {ValidationFraction}");
        if (InferenceChunk < 1) throw new UserInputException($"end-to-end inference chunk must be ≥ 1, got {InferenceChunk}");
    }
}
