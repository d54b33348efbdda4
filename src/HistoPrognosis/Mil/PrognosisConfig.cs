using HistoPrognosis.Configuration;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Mil;

/// <summary>
/// Settings of a prognosis model (the <c>model</c> section of a run config): aggregator, loss, clinical covariates
/// and their fusion, and the MIL optimisation.
/// </summary>
public sealed record PrognosisConfig
{
    /// <summary>
    /// Default mean: the best pooled C-index with every loss in 5-fold CV of the simulated 200-patient IDC cohort
    /// (attention pools fit ~160 training bags less well; they give attention maps).
    /// </summary>
    public MilAggregatorKind Aggregator { get; init; } = MilAggregatorKind.Mean;
    public SurvivalLoss Loss { get; init; } = SurvivalLoss.Cox;
    /// <summary>Cohort columns fused with the image embedding (empty = image only).</summary>
    public IReadOnlyList<string> Clinical { get; init; } = [];
    /// <summary>Used only with clinical covariates.</summary>
    public FusionMode Fusion { get; init; } = FusionMode.Concat;
    public double HorizonMonths { get; init; } = 60;
    /// <summary>Time bins of the discrete hazard model (nll).</summary>
    public int TimeBins { get; init; } = 4;
    /// <summary>Subjects censored before the horizon in the binary5y loss.</summary>
    public CensoringHandling Censoring { get; init; } = CensoringHandling.Ipcw;
    /// <summary>Weight of CLAM's instance clustering loss beside the survival loss (CLAM's 1 − bag_weight).</summary>
    public double InstanceLossWeight { get; init; } = 0.3;
    /// <summary>
    /// Share of the training patients held out (stratified by event) to choose the epoch by C-index; 0 trains on all
    /// of them and keeps the lowest training loss. Default 0: in 5-fold CV of a 200-patient cohort (two fold seeds)
    /// choosing the epoch on ~30 held-out patients was noisier than training to the end under weight decay and dropout.
    /// </summary>
    public double ValidationFraction { get; init; }
    /// <summary>
    /// Least patients a model is trained on (the whole cohort for <c>train</c>, the training folds in cross-validation).
    /// Default 2, the least with a defined Cox loss; a study should ask for more.
    /// </summary>
    public int MinTrainPatients { get; init; } = CohortMinimum.LeastPatients;
    /// <summary>Least events among the training patients (default 1, the least with a defined loss).</summary>
    public int MinTrainEvents { get; init; } = CohortMinimum.LeastEvents;
    /// <summary>Set from the run's seed.</summary>
    [NotConfigured]
    public int Seed { get; init; } = 7;
    public MilConfig Mil { get; init; } = new();

    /// <summary>What training needs, checked by <see cref="PrognosisModel.Train"/> and, before any feature is extracted, by the stages that train.</summary>
    public CohortMinimum TrainingMinimum() =>
        new(MinTrainPatients, MinTrainEvents, "model." + ConfigNames.Key(nameof(MinTrainPatients)), "model." + ConfigNames.Key(nameof(MinTrainEvents)));

    public void Validate()
    {
        TrainingMinimum().Validate();
        if (TimeBins < 1) throw new UserInputException($"model.time_bins must be ≥ 1, got {TimeBins}");
        if (InstanceLossWeight is < 0 or >= 1) throw new UserInputException($"model.instance_loss_weight must be in [0, 1), got {InstanceLossWeight}");
        if (ValidationFraction is < 0 or >= 0.5) throw new UserInputException($"model.validation_fraction must be in [0, 0.5), got {ValidationFraction}");
        if (!(HorizonMonths > 0)) throw new UserInputException($"model.horizon_months must be positive, got {HorizonMonths}");
        Mil.Validate();
    }
}
