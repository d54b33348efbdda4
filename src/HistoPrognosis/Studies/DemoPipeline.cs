using System.Diagnostics;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Simulation;
using HistoPrognosis.Survival;
using HistoPrognosis.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Studies;

/// <summary>
/// The walking skeleton end to end on real IDC patches: patient-level split; the pretrained ResNet18 fine-tuned
/// (head-only, then discriminative learning rates) and its random twin trained with the same budget; per-patch
/// features; simulated five-year follow-up from each patient's real tumour burden; gated-attention MIL with a Cox
/// loss per backbone; metrics on the test patients with the oracle / burden / age references.
/// </summary>
public sealed class DemoPipeline(DemoConfig config, Device device, PipelineLog log)
{
    public const double FiveYearsMonths = 60;
    private readonly Dictionary<string, double[]> _testRisks = [];

    public DemoResults Run()
    {
        config.Validate();
        var clock = Stopwatch.StartNew();
        manual_seed(config.Seed);
        var table = PatchTable.Load(config.Labels, requireLabel: true);
        if (config.MaxPatients > 0) table = table.Subset(table.PatientIds.Take(config.MaxPatients));
        log.Info($"patch table {config.Labels}: {table.Patches.Count} patches, {table.PatientIds.Count} patients");

        var cohort = SemiSyntheticCohort.Simulate(table, config.Seed).ToDictionary(s => s.PatientId);
        var split = PatientSplit.Create(table.PatientIds, config.ValidationFraction, config.TestFraction, config.Seed,
            id => (cohort[id].Event ? 2 : 0) + (cohort[id].TumourBurden >= 0.3 ? 1 : 0));
        if (!split.Test.Any(id => cohort[id].Event) || !split.Train.Any(id => cohort[id].Event))
            throw new UserInputException($"{config.Labels}: too few patients ({table.PatientIds.Count}) for a split with events in both train and test; use more patients");
        log.Info($"patient split: train {split.Train.Count}, validation {split.Validation.Count}, test {split.Test.Count}");

        int size = config.Finetune.ImageSize;
        using var train = PatchDataset.Load(table.Subset(split.Train).Patches, size, log, "loading train patches");
        using var validation = PatchDataset.Load(table.Subset(split.Validation).Patches, size, log, "loading validation patches");
        using var test = PatchDataset.Load(table.Subset(split.Test).Patches, size, log, "loading test patches");

        var trainer = new PatchClassifierTrainer(config.Finetune, device, log);
        var arms = new List<BackboneArmResult>();
        var oracle = CIndexOn(split.Test, id => cohort[id].Eta, cohort);
        foreach (var arm in new[] { "transfer", "scratch" })
        {
            using var classifier = CreateClassifier(arm);
            var history = arm == "transfer"
                ? trainer.TrainTransfer(classifier, train, config.Seed + 11)
                : trainer.TrainScratch(classifier, train, config.Seed + 11);
            arms.Add(EvaluateArm(arm, classifier, history, train, validation, test, split, cohort, oracle));
        }

        var difference = PairedCIndexDifference(split.Test, cohort);
        var references = new ReferenceResult(oracle,
            CIndexOn(split.Test, id => cohort[id].TumourBurden, cohort),
            CIndexOn(split.Test, id => cohort[id].Age, cohort));
        var subjects = table.PatientIds.Select(id => cohort[id]).ToList();
        var cohortSummary = new CohortSummary(subjects.Count, subjects.Count(s => s.Event),
            subjects.Count(s => s.FiveYearStatus == 1), subjects.Count(s => s.FiveYearStatus is null),
            Median(subjects.Select(s => s.TimeMonths)));
        var splitSummary = new SplitSummary(split.Train.ToArray(), split.Validation.ToArray(), split.Test.ToArray(), train.Count, validation.Count, test.Count);
        return new DemoResults("histoprog demo", DateTime.UtcNow, device.type.ToString().ToLowerInvariant(), config.Seed, config,
            splitSummary, cohortSummary, subjects, arms, difference, references, clock.Elapsed.TotalSeconds);
    }

    /// <summary>C(transfer) − C(scratch) on the same test patients, with a paired bootstrap interval.</summary>
    private PairedDifference PairedCIndexDifference(IReadOnlyList<string> test, IReadOnlyDictionary<string, CohortSubject> cohort)
    {
        var (time, @event) = Outcomes(test, cohort);
        double[] a = _testRisks["transfer"], b = _testRisks["scratch"];
        IndexStatistic C(double[] risk) => idx =>
        {
            var (t, e, r) = Bootstrap.Gather(idx, time, @event, risk);
            return Concordance.Harrell(t, e, r).Value;
        };
        if (config.BootstrapSamples == 0)
        {
            var all = Enumerable.Range(0, time.Length).ToArray();
            return new PairedDifference(C(a)(all) - C(b)(all), double.NaN, double.NaN);
        }
        var interval = Bootstrap.PairedDifference(time.Length, C(a), C(b), config.BootstrapSamples, config.Seed + 37);
        log.Info($"C-index transfer − scratch: {interval.Estimate:+0.000;-0.000} (95% CI {interval.Lower:+0.000;-0.000} to {interval.Upper:+0.000;-0.000})");
        return new PairedDifference(interval.Estimate, interval.Lower, interval.Upper);
    }

    private PatchClassifier CreateClassifier(string arm)
    {
        manual_seed(config.Seed + (arm == "transfer" ? 1 : 2));
        var backbone = arm == "transfer" ? PretrainedWeights.LoadImageNetResNet18() : PretrainedWeights.CreateScratch(config.Seed + 2);
        var classifier = new PatchClassifier(backbone);
        classifier.to(device);
        return classifier;
    }

    private BackboneArmResult EvaluateArm(string arm, PatchClassifier classifier, TrainingHistory history,
        PatchDataset train, PatchDataset validation, PatchDataset test, PatientSplit split,
        IReadOnlyDictionary<string, CohortSubject> cohort, double oracle)
    {
        double aucValidation = validation.Count == 0 ? double.NaN : ClassificationMetrics.RocAuc(
            PatchClassifierTrainer.PredictProbabilities(classifier, validation, device), validation.Labels);
        double aucTest = ClassificationMetrics.RocAuc(PatchClassifierTrainer.PredictProbabilities(classifier, test, device), test.Labels);
        log.Info($"{arm}: patch ROC AUC validation {aucValidation:F3}, test {aucTest:F3} ({history.Seconds:F0} s training)");

        var trainBags = Bags(classifier, train, split.Train, arm, "train");
        var validationBags = Bags(classifier, validation, split.Validation, arm, "validation");
        var testBags = Bags(classifier, test, split.Test, arm, "test");
        var (trainTime, trainEvent) = Outcomes(split.Train, cohort);
        var (validationTime, validationEvent) = Outcomes(split.Validation, cohort);
        using var mil = MilSurvivalModel.Train(trainBags, trainTime, trainEvent, validationBags, validationTime, validationEvent,
            config.Mil, device, config.Seed + 23, log, arm);
        var risk = mil.PredictRisk(testBags);
        var (testTime, testEvent) = Outcomes(split.Test, cohort);
        double c = Concordance.Harrell(testTime, testEvent, risk).Value;
        double uno = Concordance.Uno(testTime, testEvent, risk, FiveYearsMonths);
        double auc5 = TimeDependentAuc.At(testTime, testEvent, risk, FiveYearsMonths);
        double[] ci = [double.NaN, double.NaN];
        if (config.BootstrapSamples > 0)
        {
            var interval = Bootstrap.HarrellC(testTime, testEvent, risk, config.BootstrapSamples, config.Seed + 31);
            ci = [interval.Lower, interval.Upper];
        }
        _testRisks[arm] = risk;
        log.Info($"{arm}: test C-index {c:F3} (95% CI {ci[0]:F3}–{ci[1]:F3}), Uno C {uno:F3}, 5-year AUC {auc5:F3}; oracle {oracle:F3}");
        return new BackboneArmResult(arm,
            arm == "transfer" ? $"ImageNet ResNet18: head only {config.Finetune.HeadOnlySteps} steps, then all layers {config.Finetune.FullSteps} steps (discriminative LR, decay {config.Finetune.LayerDecay})"
                              : $"random init: all layers {config.Finetune.TotalSteps} steps",
            config.Finetune.TotalSteps, history.Seconds, aucValidation, aucTest, c, ci, uno, auc5, c / oracle,
            mil.BestEpoch, mil.Seconds, history.Losses.Select(l => l.Loss).ToArray(),
            mil.LossCurve.Select(l => l.Train).ToArray(), mil.LossCurve.Select(l => l.Validation).ToArray(),
            LogRankMedianSplit(testTime, testEvent, risk), risk);
    }

    /// <summary>Log-rank p between test patients above and at-or-below the median predicted risk.</summary>
    private static double LogRankMedianSplit(double[] time, bool[] @event, double[] risk)
    {
        var group = RiskGroups.AboveMedian(risk);
        return group.Distinct().Count() == 2 ? LogRank.Test(time, @event, group).P : double.NaN;
    }

    private IReadOnlyList<PatientBag> Bags(PatchClassifier classifier, PatchDataset data, IReadOnlyList<string> patients, string arm, string part)
    {
        if (data.Count == 0) return [];
        var features = FeatureExtractor.Extract(classifier.Backbone, data, device, log, $"{arm} features ({part})");
        return PatientBag.FromPatches(patients, data.PatientIds, features);
    }

    private static (double[] Time, bool[] Event) Outcomes(IReadOnlyList<string> patients, IReadOnlyDictionary<string, CohortSubject> cohort) =>
        (patients.Select(id => cohort[id].TimeMonths).ToArray(), patients.Select(id => cohort[id].Event).ToArray());

    private static double CIndexOn(IReadOnlyList<string> patients, Func<string, double> risk, IReadOnlyDictionary<string, CohortSubject> cohort)
    {
        var (time, @event) = Outcomes(patients, cohort);
        return Concordance.Harrell(time, @event, patients.Select(risk).ToArray()).Value;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
