namespace HistoPrognosis.Studies;

/// <summary>Everything one backbone arm produced on the held-out patients.</summary>
public sealed record BackboneArmResult(
    string Backbone,
    string Training,
    int OptimizerSteps,
    double TrainingSeconds,
    double PatchAucValidation,
    double PatchAucTest,
    double CIndex,
    double[] CIndexCi95,
    double UnoC,
    double Auc5y,
    double CIndexFractionOfOracle,
    int MilBestEpoch,
    double MilSeconds,
    double[] FinetuneLoss,
    double[] MilTrainLoss,
    double[] MilValidationLoss,
    double LogRankPMedianSplit,
    double[] TestRisk);

/// <summary>A paired difference of two models on the same patients, with a paired-bootstrap 95% interval.</summary>
public sealed record PairedDifference(double Estimate, double Lower, double Upper);

/// <summary>C-index of the ground-truth references on the test patients.</summary>
public sealed record ReferenceResult(double OracleCIndex, double BurdenCIndex, double AgeCIndex);

public sealed record SplitSummary(string[] Train, string[] Validation, string[] Test, int TrainPatches, int ValidationPatches, int TestPatches);

public sealed record CohortSummary(int Patients, int Events, int FiveYearEvents, int FiveYearCensoredBefore, double MedianFollowUpMonths);

/// <summary>The demo's results.json.</summary>
public sealed record DemoResults(
    string Tool,
    DateTime FinishedUtc,
    string Device,
    int Seed,
    DemoConfig Config,
    SplitSummary Split,
    CohortSummary Cohort,
    IReadOnlyList<HistoPrognosis.Simulation.CohortSubject> Subjects,
    IReadOnlyList<BackboneArmResult> Backbones,
    PairedDifference CIndexTransferMinusScratch,
    ReferenceResult References,
    double TotalSeconds);
