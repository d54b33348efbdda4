namespace HistoPrognosis.Workflow;

/// <summary>The ways of getting from pixels to a five-year prognosis that the prognosis-transfer study compares.</summary>
public enum PrognosisArm
{
    /// <summary>Random initialisation, every layer trained end to end through the MIL survival loss (the baseline).</summary>
    ScratchEndToEnd,
    /// <summary>ImageNet features, frozen; only the MIL aggregator and head learn (what CLAM, STAMP and TRIDENT do).</summary>
    FrozenMil,
    /// <summary>ImageNet backbone fine-tuned on the patch labels first (two-stage), then frozen features + MIL.</summary>
    PatchFinetunedMil,
    /// <summary>ImageNet backbone fine-tuned end to end with discriminative (layer-wise) learning rates.</summary>
    EndToEndDiscriminative,
    /// <summary>ImageNet backbone fine-tuned end to end, stages unfrozen gradually from the top.</summary>
    EndToEndGradual,
    /// <summary>ImageNet backbone frozen, LoRA adapters on its convolutions trained end to end (see <see cref="Training.LoraAdapters"/>).</summary>
    EndToEndLora,
}

/// <summary>
/// The study's own settings (the <c>study</c> section; <c>histoprog study prognosis-transfer</c> and, when enabled,
/// <c>histoprog run</c>); everything else (features, fine-tuning budget, MIL model, evaluation) is the run config's,
/// the same for every arm.
/// </summary>
public sealed record PrognosisTransferConfig
{
    /// <summary>In <c>histoprog run</c>: run the study on the run's cohort after its arms (into <c>prognosis-transfer/</c>).</summary>
    public bool Enabled { get; init; }
    /// <summary>Training patients per run; 0 means all patients left after the test split.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [25, 50, 100, 0];
    public int Repeats { get; init; } = 3;
    public IReadOnlyList<PrognosisArm> Arms { get; init; } = [PrognosisArm.ScratchEndToEnd, PrognosisArm.FrozenMil, PrognosisArm.EndToEndDiscriminative, PrognosisArm.EndToEndGradual];
    /// <summary>Share of the cohort's patients held out once as the test patients of every run: one of round(1 / share) folds stratified by event.</summary>
    public double TestFraction { get; init; } = 0.3;
    /// <summary>Head-only steps of every arm's fine-tuning (null: the finetune section's head_only_steps).</summary>
    public int? HeadOnlySteps { get; init; }
    /// <summary>Steps after the head-only phase of every arm (null: the finetune section's full_steps).</summary>
    public int? FullSteps { get; init; }

    /// <summary>The fine-tuning settings every arm trains with: the run's, with this section's budget.</summary>
    public Training.FinetuneConfig Budget(RunConfig config) =>
        config.ResolvedFinetune with { HeadOnlySteps = HeadOnlySteps ?? config.Finetune.HeadOnlySteps, FullSteps = FullSteps ?? config.Finetune.FullSteps };

    public void Validate()
    {
        if (Sizes.Count == 0 || Sizes.Any(s => s < 0)) throw new UserInputException("--sizes needs patient counts ≥ 1 (or 'all')");
        if (Repeats < 1) throw new UserInputException($"--repeats must be ≥ 1, got {Repeats}");
        if (!(TestFraction is > 0 and < 1)) throw new UserInputException($"--test-fraction must be in (0, 1), got {TestFraction}");
        if (Arms.Count == 0 || Arms.Distinct().Count() != Arms.Count) throw new UserInputException("--arms must name each arm once");
        if (HeadOnlySteps < 0 || FullSteps < 0 || HeadOnlySteps + FullSteps == 0) throw new UserInputException("study.head_only_steps and study.full_steps must be ≥ 0 and not both 0");
        if (!Arms.Contains(PrognosisArm.ScratchEndToEnd))
            throw new UserInputException("--arms must include scratch-end-to-end: every arm is compared with it");
    }
}
