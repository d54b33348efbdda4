namespace HistoPrognosis.Training.EndToEnd;

/// <summary>
/// What end-to-end prognosis training adds to fine-tuning (the <c>finetune.end_to_end</c> section): how a step's
/// patients and patches are drawn, BatchNorm handling, the validation hold-out and the inference chunk. The step
/// budget, policy, rates, warm-up, augmentation and early stopping are the rest of the <c>finetune</c> section.
/// </summary>
public sealed record EndToEndConfig
{
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

    /// <summary>
    /// Share of the training patients held out (stratified by event) for the validation C-index that stops training
    /// and picks the kept step; 0 trains on all and keeps the last step. Unlike the frozen-feature MIL (default 0
    /// there), a fine-tuned backbone can overfit a few hundred patients within the budget, so some are held out.
    /// </summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>
    /// Before any step, fit the aggregator and head to convergence on the starting backbone's embeddings of all the
    /// training patches (the <c>model.mil</c> recipe of frozen-feature MIL: full-batch, its epochs, rate and weight
    /// decay), and let early stopping keep that state (step 0) when no fine-tuning step beats it on validation.
    /// Linear probing then fine-tuning (Kumar et al., ICLR 2022): a random head's gradients would otherwise distort the
    /// pretrained features in the first steps, and with a few hundred patients the head-only steps alone leave it
    /// far from fitted.
    /// </summary>
    public bool WarmStartHead { get; init; } = true;

    /// <summary>
    /// After early stopping has picked the kept step, fit the aggregator and head once more (the warm start's recipe,
    /// from the kept state) on every training patient, the validation ones included, through the kept backbone and
    /// projection; the head's calibration then uses them all too. The validation share only chooses the step: without
    /// this, the head would learn from 80% of the patients that frozen-feature MIL learns from.
    /// </summary>
    public bool RefitHeadOnAllPatients { get; init; } = true;

    /// <summary>Patches per backbone forward pass at inference (bounds memory for patients with many patches).</summary>
    public int InferenceChunk { get; init; } = 128;

    public void Validate()
    {
        if (PatientsPerBatch < 2) throw new UserInputException($"finetune.end_to_end.patients_per_batch must be ≥ 2 (a survival loss ranks patients), got {PatientsPerBatch}");
        if (PatchesPerPatient < 1) throw new UserInputException($"finetune.end_to_end.patches_per_patient must be ≥ 1, got {PatchesPerPatient}");
        if (AccumulationSteps < 1) throw new UserInputException($"finetune.end_to_end.accumulation_steps must be ≥ 1, got {AccumulationSteps}");
        if (ValidationFraction is < 0 or >= 0.5) throw new UserInputException($"finetune.end_to_end.validation_fraction must be in [0, 0.5), got {ValidationFraction}");
        if (InferenceChunk < 1) throw new UserInputException($"finetune.end_to_end.inference_chunk must be ≥ 1, got {InferenceChunk}");
    }
}
