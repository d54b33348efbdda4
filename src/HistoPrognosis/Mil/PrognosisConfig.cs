namespace HistoPrognosis.Mil;

/// <summary>
/// Settings of a prognosis model: aggregator, loss, clinical covariates and their fusion, and the MIL optimisation.
/// </summary>
public sealed record PrognosisConfig
{
    /// <summary>
    /// mean | max | abmil | clam | transmil. Default mean: the best pooled C-index with every loss in 5-fold CV of the
    /// simulated 200-patient IDC cohort (attention pools fit ~160 training bags less well; they give attention maps).
    /// </summary>
    public string Aggregator { get; init; } = "mean";
    /// <summary>cox | nll | binary5y</summary>
    public string Loss { get; init; } = "cox";
    /// <summary>Cohort columns fused with the image embedding (empty = image only).</summary>
    public IReadOnlyList<string> Clinical { get; init; } = [];
    /// <summary>concat | gated (used only with clinical covariates)</summary>
    public string Fusion { get; init; } = "concat";
    public double HorizonMonths { get; init; } = 60;
    /// <summary>Time bins of the discrete hazard model (nll).</summary>
    public int TimeBins { get; init; } = 4;
    /// <summary>ipcw | exclude: subjects censored before the horizon in the binary5y loss.</summary>
    public string Censoring { get; init; } = "ipcw";
    /// <summary>Weight of CLAM's instance clustering loss beside the survival loss (CLAM's 1 − bag_weight).</summary>
    public double InstanceLossWeight { get; init; } = 0.3;
    /// <summary>
    /// Share of the training patients held out (stratified by event) to choose the epoch by C-index; 0 trains on all
    /// of them and keeps the lowest training loss. Default 0: in 5-fold CV of a 200-patient cohort (two fold seeds)
    /// choosing the epoch on ~30 held-out patients was noisier than training to the end under weight decay and dropout.
    /// </summary>
    public double ValidationFraction { get; init; } = 0;
    public int Seed { get; init; } = 7;
    /// <summary>MIL optimisation; 16 principal components (the same CV: 8 lost signal at ~160 training patients, 32 overfit).</summary>
    public MilConfig Mil { get; init; } = new() { PcaComponents = 16 };

    public void Validate()
    {
        MilAggregators.Check(Aggregator);
        if (!SurvivalHead.Names.Contains(Loss)) throw new UserInputException($"unknown loss '{Loss}': use {string.Join(", ", SurvivalHead.Names)}");
        if (Clinical.Count > 0 && !ClinicalFusion.Names.Contains(Fusion)) throw new UserInputException($"unknown fusion '{Fusion}': use {string.Join(", ", ClinicalFusion.Names)}");
        if (Censoring is not ("ipcw" or "exclude")) throw new UserInputException($"unknown censoring handling '{Censoring}': use ipcw or exclude");
        if (TimeBins < 1) throw new UserInputException($"time_bins must be ≥ 1, got {TimeBins}");
        if (InstanceLossWeight is < 0 or >= 1) throw new UserInputException($"instance_loss_weight must be in [0, 1), got {InstanceLossWeight}");
        if (ValidationFraction is < 0 or >= 0.5) throw new UserInputException($"validation_fraction must be in [0, 0.5), got {ValidationFraction}");
        if (!(HorizonMonths > 0)) throw new UserInputException($"horizon_months must be positive, got {HorizonMonths}");
        Mil.Validate();
    }
}
