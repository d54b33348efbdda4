using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.IO;
using HistoPrognosis.Mil;
using HistoPrognosis.Reports;
using HistoPrognosis.Survival;
using static TorchSharp.torch;

namespace HistoPrognosis.Studies;

/// <summary>The <c>crossval</c> section: folds and the aggregators compared (their other settings from <c>model</c>).</summary>
public sealed record CrossvalConfig
{
    /// <summary>Patient-level folds, stratified by event and site.</summary>
    public int Folds { get; init; } = 5;
    /// <summary>Aggregators compared arm by arm; empty = <c>model.aggregator</c> alone.</summary>
    public IReadOnlyList<MilAggregatorKind> Aggregators { get; init; } = [];
    /// <summary>
    /// Least patients in a held-out fold (default 2, the least for a fold C-index); the training folds need the
    /// <c>model</c> section's <c>min_train_patients</c> and <c>min_train_events</c>.
    /// </summary>
    public int MinFoldPatients { get; init; } = CohortMinimum.LeastPatients;
    /// <summary>Least events in a held-out fold (default 1).</summary>
    public int MinFoldEvents { get; init; } = CohortMinimum.LeastEvents;

    public CohortMinimum FoldMinimum() =>
        new(MinFoldPatients, MinFoldEvents, "crossval." + ConfigNames.Key(nameof(MinFoldPatients)), "crossval." + ConfigNames.Key(nameof(MinFoldEvents)));

    public IReadOnlyList<MilAggregatorKind> AggregatorsOr(MilAggregatorKind model) => Aggregators.Count > 0 ? Aggregators : [model];

    public void Validate()
    {
        if (Folds < 2) throw new UserInputException($"crossval.folds (--folds) must be at least 2, got {Folds}");
        FoldMinimum().Validate();
        if (Aggregators.Distinct().Count() != Aggregators.Count) throw new UserInputException($"crossval.aggregators (--aggregators) names an aggregator twice ({string.Join(", ", Aggregators)})");
    }
}

/// <summary>One arm's scores on one held-out fold; Uno C is null when no event of the fold falls by the horizon.</summary>
public sealed record FoldScore(int Fold, int Patients, int Events, double HarrellC, double? UnoC, int? KeptEpoch);

/// <summary>
/// One arm of the comparison: an aggregator on image features alone or fused with the clinical columns, or the
/// clinical columns alone (Cox regression). Fold C-indices as mean ± sample sd over the folds where they are defined
/// (null when none is, the sd also with one), and the C-index of the pooled out-of-fold risks with a patient bootstrap
/// interval (Uno's null when undefined); the result's warnings say what is missing.
/// </summary>
public sealed record CrossValidationArm(string Name, string Aggregator, string Inputs, IReadOnlyList<FoldScore> Folds,
    double HarrellMean, double? HarrellSd, double? UnoMean, double? UnoSd, Estimate PooledHarrell, Estimate? PooledUno);

/// <summary>
/// The main backbone against the comparison backbone for one model: pooled out-of-fold Harrell C of each and their
/// difference (main − comparison) with a 95% paired patient bootstrap interval.
/// </summary>
public sealed record BackboneComparison(string Model, string Inputs, double MainC, double ComparisonC, Estimate? Difference);

/// <summary>What <c>histoprog crossval</c> writes to <c>crossval.json</c>: no NaN anywhere, an undefined statistic is null and a warning says why.</summary>
public sealed record CrossValidationResult(
    int Patients, int Events, int Folds, IReadOnlyList<int> FoldSizes, bool StratifiedBySite,
    string Backbone, int ImageSize, int FeatureDimension, string Loss, IReadOnlyList<string> Clinical, string Fusion, int Epochs,
    int Seed, double HorizonMonths, int BootstrapSamples, IReadOnlyList<CrossValidationArm> Arms,
    IReadOnlyDictionary<string, double> ReferenceC, IReadOnlyList<string> Warnings, double Seconds,
    string? ComparisonBackbone = null, IReadOnlyList<BackboneComparison>? BackboneComparisons = null);

/// <summary>
/// Patient-level k-fold cross-validation of prognosis models: features come from the cache once, folds from
/// <see cref="PatientFolds.Assign"/> (stratified by event and site), and every arm is trained with
/// <see cref="PrognosisModel.Train"/> on the other folds (epoch chosen on a stratified validation share of them, never
/// on the held-out fold) and predicts the held-out fold. Every patient is predicted exactly once per arm. Every held-out
/// fold and every training part is checked against its minimum (<see cref="CrossvalConfig.FoldMinimum"/>,
/// <see cref="PrognosisConfig.TrainingMinimum"/>) before any feature is extracted.
/// </summary>
public sealed class CrossValidation(Device device, PipelineLog log)
{
    public const string ClinicalOnlyArm = "clinical-cox";

    /// <summary>An arm; <paramref name="Comparison"/> arms use the comparison backbone's features.</summary>
    private sealed record Arm(string Name, MilAggregatorKind? Aggregator, bool Image, bool Clinical, bool Comparison = false)
    {
        public string Inputs => Image && Clinical ? "both" : Image ? "image" : "clinical";
    }

    /// <summary>Writes crossval.json, table.md and oof-risks.csv into <paramref name="outputDirectory"/> (the caller commits it).</summary>
    public CrossValidationResult Run(Cohort fullCohort, FeatureSource source, CrossvalConfig crossval, PrognosisConfig model, EvaluationConfig evaluation,
        string? compareBackbone, string outputDirectory, bool allowMissing = false)
    {
        crossval.Validate();
        model.Validate();
        evaluation.Validate();
        int bootstrapSamples = evaluation.BootstrapSamples;
        if (string.Equals(compareBackbone, source.Backbone, StringComparison.Ordinal))
            throw new UserInputException($"features.compare_backbone (--compare-backbone) '{source.Backbone}' is the main backbone; name a different one");
        var config = (Aggregators: crossval.AggregatorsOr(model.Aggregator), crossval.Folds, BootstrapSamples: bootstrapSamples, CompareBackbone: compareBackbone, Model: model);
        var cohortPath = fullCohort.SourcePath;
        var clock = Stopwatch.StartNew();
        var pipeline = new PrognosisPipeline(device, log);
        var withPatches = PrognosisPipeline.WithPatches(fullCohort, source.Patches, allowMissing, log);
        var fold = Folds(withPatches, crossval, model);
        var (cohort, bags, settings) = pipeline.LoadCohortFeatures(withPatches, source, allowMissing);
        IReadOnlyList<PatientBag>? comparisonBags = null;
        if (config.CompareBackbone is { } other)
        {
            var loaded = pipeline.LoadCohortFeatures(withPatches, source with { Backbone = other }, allowMissing);
            if (!loaded.Cohort.Patients.Select(p => p.PatientId).SequenceEqual(cohort.Patients.Select(p => p.PatientId), StringComparer.Ordinal))
                throw new InvalidOperationException("the two backbones' cohorts differ");
            comparisonBags = loaded.Bags;
        }
        var time = cohort.Time;
        var events = cohort.Events;
        int n = cohort.Patients.Count;
        bool bySite = BySite(cohort);

        var clinicalNames = config.Model.Clinical;
        var arms = new List<Arm>();
        foreach (var a in config.Aggregators)
        {
            var name = ConfigNames.Value(a);
            arms.Add(new Arm(name, a, true, false));
            if (clinicalNames.Count > 0) arms.Add(new Arm($"{name}+clinical", a, true, true));
        }
        if (comparisonBags is not null)
            foreach (var main in arms.ToList())
                arms.Add(main with { Name = $"{main.Name}@{config.CompareBackbone}", Comparison = true });
        if (clinicalNames.Count > 0) arms.Add(new Arm(ClinicalOnlyArm, null, false, true));

        var risks = arms.ToDictionary(a => a.Name, _ => Enumerable.Repeat(double.NaN, n).ToArray());
        var scores = arms.ToDictionary(a => a.Name, _ => new List<FoldScore>());
        var imageOnly = Enumerable.Range(0, n).Select(_ => Array.Empty<float>()).ToArray();
        for (int k = 0; k < config.Folds; k++)
        {
            var test = Enumerable.Range(0, n).Where(i => fold[i] == k).ToArray();
            var train = Enumerable.Range(0, n).Where(i => fold[i] != k).ToArray();
            var encoder = clinicalNames.Count > 0 ? ClinicalEncoder.Fit(cohort.Subset(train.Select(i => cohort.Patients[i].PatientId)), clinicalNames) : ClinicalEncoder.Empty;
            var encoded = encoder.Encode(cohort);
            log.Info($"fold {k + 1}/{config.Folds}: training on {train.Length} patients ({train.Count(i => events[i])} events), predicting {test.Length}");
            foreach (var arm in arms)
            {
                int? keptEpoch = null;
                if (arm.Aggregator is null)
                {
                    var fit = ClinicalCox(encoder, encoded, train, time, events, cohortPath);
                    foreach (var i in test) risks[arm.Name][i] = fit(encoded[i]);
                }
                else
                {
                    var modelConfig = config.Model with { Aggregator = arm.Aggregator.Value, Clinical = arm.Clinical ? clinicalNames : [] };
                    var data = new PrognosisData(arm.Comparison ? comparisonBags! : bags, arm.Clinical ? encoded : imageOnly, time, events);
                    var (fitData, validation) = PrognosisPipeline.HoldOut(data.Select(train), modelConfig.ValidationFraction, modelConfig.Seed + k);
                    using var fitted = PrognosisModel.Train(fitData, validation, arm.Clinical ? encoder : ClinicalEncoder.Empty, modelConfig, device, log,
                        $"{FoldName(cohortPath, k, config.Folds)}, training ({arm.Name})");
                    var held = data.Select(test);
                    var predictions = fitted.Predict(held.Bags, held.Clinical);
                    PrognosisPipeline.RequireFinite(predictions, $"{FoldName(cohortPath, k, config.Folds)}, the {arm.Name} model");
                    for (int j = 0; j < test.Length; j++) risks[arm.Name][test[j]] = predictions[j].Risk;
                    keptEpoch = fitted.BestEpoch;
                }
                var (t, e, r) = (test.Select(i => time[i]).ToArray(), test.Select(i => events[i]).ToArray(), test.Select(i => risks[arm.Name][i]).ToArray());
                // Harrell C is defined: the fold passed its minimum (a comparable pair) and the risks are finite.
                scores[arm.Name].Add(new FoldScore(k + 1, test.Length, e.Count(x => x), Concordance.Harrell(t, e, r).Value,
                    Defined(() => Concordance.Uno(t, e, r, config.Model.HorizonMonths)), keptEpoch));
                log.Info($"fold {k + 1}, {arm.Name}: Harrell C {scores[arm.Name][^1].HarrellC:F3}");
            }
        }

        var results = new List<CrossValidationArm>();
        var warnings = new List<string>();
        var context = new StatisticContext(n, config.BootstrapSamples, evaluation.MinDefinedShare);
        string unoUndefined = $"no comparable pair with an event by {config.Model.HorizonMonths} months";
        foreach (var arm in arms)
        {
            var risk = risks[arm.Name];
            if (risk.Any(double.IsNaN)) throw new InvalidOperationException($"{arm.Name}: some patients were never predicted");
            var folds = scores[arm.Name];
            var (hm, hs) = MeanSd(folds.Select(f => (double?)f.HarrellC));
            var (um, us) = MeanSd(folds.Select(f => f.UnoC));
            foreach (var f in folds.Where(f => f.UnoC is null))
                warnings.Add($"{arm.Name}: Uno C of fold {f.Fold} is undefined ({unoUndefined} among its {f.Patients} patients); the fold mean is over the other folds");
            var pooledHarrell = Pooled(time, events, risk, (t, e, r) => Concordance.Harrell(t, e, r).Value, config.BootstrapSamples, config.Model.Seed, evaluation.MinDefinedShare)!;
            var pooledUno = Pooled(time, events, risk, (t, e, r) => Concordance.Uno(t, e, r, config.Model.HorizonMonths), config.BootstrapSamples, config.Model.Seed, evaluation.MinDefinedShare);
            warnings.AddRange(context.Warnings($"{arm.Name}: pooled Harrell C", pooledHarrell, "").Concat(context.Warnings($"{arm.Name}: pooled Uno C", pooledUno, unoUndefined)));
            results.Add(new CrossValidationArm(arm.Name, arm.Aggregator is { } kind ? ConfigNames.Value(kind) : "cox-regression", arm.Inputs, folds, hm!.Value, hs, um, us,
                pooledHarrell, pooledUno));
        }
        var comparisons = comparisonBags is null ? null : arms.Where(a => a.Comparison).Select(c =>
        {
            var main = arms.Single(a => !a.Comparison && a.Aggregator == c.Aggregator && a.Clinical == c.Clinical);
            var comparison = Compare(main.Name, main.Inputs, time, events, risks[main.Name], risks[c.Name], config.BootstrapSamples, config.Model.Seed, evaluation.MinDefinedShare);
            warnings.AddRange(context.Warnings($"{main.Name}: backbone difference of pooled Harrell C", comparison.Difference, ""));
            return comparison;
        }).ToList();
        var result = new CrossValidationResult(n, events.Count(e => e), config.Folds,
            Enumerable.Range(0, config.Folds).Select(k => fold.Count(f => f == k)).ToArray(), bySite,
            settings.Backbone, settings.ImageSize, settings.Dimension, ConfigNames.Value(config.Model.Loss), clinicalNames, ConfigNames.Value(config.Model.Fusion), config.Model.Mil.Epochs,
            config.Model.Seed, config.Model.HorizonMonths, config.BootstrapSamples, results, PrognosisEvaluation.ReferenceC(cohort), warnings, clock.Elapsed.TotalSeconds,
            config.CompareBackbone, comparisons);

        Directory.CreateDirectory(outputDirectory);
        File.WriteAllText(Path.Combine(outputDirectory, "crossval.json"), JsonSerializer.Serialize(result, JsonDefaults.Options));
        File.WriteAllText(Path.Combine(outputDirectory, "table.md"), Table(result, cohortPath));
        WriteOutOfFold(Path.Combine(outputDirectory, "oof-risks.csv"), cohort, fold, arms.Select(a => a.Name).ToList(), risks);
        return result;
    }

    /// <summary>
    /// The fold (0..k−1) of every patient of <paramref name="cohort"/> (stratified by event, and by site when the cohort
    /// has one), every held-out fold checked against <see cref="CrossvalConfig.FoldMinimum"/> and every training part
    /// against <see cref="PrognosisConfig.TrainingMinimum"/>, so a cohort too small for its folds fails before any
    /// feature is extracted (the workflow checks this before it writes anything).
    /// </summary>
    public static int[] Folds(Cohort cohort, CrossvalConfig crossval, PrognosisConfig model)
    {
        var (time, events, path, k) = (cohort.Time, cohort.Events, cohort.SourcePath, crossval.Folds);
        var perFold = crossval.FoldMinimum();
        // The cohort as a whole first: "needs 5 events, has 3" says more than the one fold that got none.
        new CohortMinimum(k * perFold.Patients, k * perFold.Events, $"crossval.folds × {perFold.PatientsKey}", $"crossval.folds × {perFold.EventsKey}")
            .Check($"{path}: {k}-fold cross-validation", time, events);
        var sites = cohort.Patients.Select(p => p.Site).ToArray();
        var fold = PatientFolds.Assign(cohort.Patients.Select(p => p.PatientId).ToList(), k, model.Seed,
            PatientFolds.ByEventAndSite(events, BySite(cohort) ? sites : null));
        for (int f = 0; f < k; f++)
        {
            var (held, rest) = (Part(fold, f, inFold: true), Part(fold, f, inFold: false));
            perFold.Check($"{FoldName(path, f, k)}, held out", Pick(time, held), Pick(events, held));
            model.TrainingMinimum().Check($"{FoldName(path, f, k)}, training", Pick(time, rest), Pick(events, rest));
        }
        return fold;
    }

    private static bool BySite(Cohort cohort) => cohort.Patients.Any(p => !string.IsNullOrEmpty(p.Site));

    private static string FoldName(string cohortPath, int fold, int folds) => $"{cohortPath}: fold {fold + 1} of {folds}";

    private static int[] Part(int[] fold, int f, bool inFold) => Enumerable.Range(0, fold.Length).Where(i => (fold[i] == f) == inFold).ToArray();

    private static T[] Pick<T>(T[] values, int[] indices) => indices.Select(i => values[i]).ToArray();

    /// <summary>
    /// Cox regression on the encoded clinical columns of the training patients (the first level of each categorical
    /// column dropped, as the model has no intercept); returns the linear predictor as the risk.
    /// </summary>
    private static Func<float[], double> ClinicalCox(ClinicalEncoder encoder, float[][] encoded, int[] train, double[] time, bool[] events, string cohortPath)
    {
        var keep = new List<int>();
        int offset = 0;
        foreach (var column in encoder.Columns)
        {
            for (int j = column.Numeric ? 0 : 1; j < column.Width; j++) keep.Add(offset + j);
            offset += column.Width;
        }
        if (keep.Count == 0) throw new UserInputException($"--clinical: the columns take a single value among the training patients of {cohortPath}; nothing to fit");
        var x = train.Select(i => keep.Select(c => (double)encoded[i][c]).ToArray()).ToArray();
        CoxModel fit;
        try
        {
            fit = CoxRegression.Fit(x, train.Select(i => time[i]).ToArray(), train.Select(i => events[i]).ToArray());
        }
        catch (ArgumentException ex)
        {
            throw new UserInputException($"{cohortPath}: the clinical-only Cox model cannot be fitted on columns {string.Join(", ", encoder.Columns.Select(c => c.Name))}: {ex.Message}");
        }
        var beta = fit.Coefficients.ToArray();
        return row => keep.Select((c, j) => beta[j] * row[c]).Sum();
    }

    private static double? Defined(Func<double> statistic)
    {
        try { return statistic(); }
        catch (ArgumentException) { return null; }
    }

    // Over the folds where the statistic is defined; no sd from a single fold.
    private static (double? Mean, double? Sd) MeanSd(IEnumerable<double?> values)
    {
        var v = values.OfType<double>().ToArray();
        if (v.Length == 0) return (null, null);
        double mean = v.Average();
        return (mean, v.Length < 2 ? null : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)));
    }

    private static Estimate? Pooled(double[] time, bool[] events, double[] risk, Func<double[], bool[], double[], double> metric, int replicates, int seed, double minDefinedShare) =>
        Bootstrap.Estimate(time.Length, idx =>
        {
            var (t, e, r) = Bootstrap.Gather(idx, time, events, risk);
            return metric(t, e, r);
        }, replicates, seed, minDefinedShare);

    // Both backbones' risks for the same patients: each bootstrap resample scores both, so their correlation is kept.
    // The patients passed their minimum (a comparable pair), so both C-indices are defined on all of them.
    public static BackboneComparison Compare(string model, string inputs, double[] time, bool[] events, double[] main, double[] other, int replicates, int seed,
        double minDefinedShare)
    {
        double HarrellOf(double[] risk, ReadOnlySpan<int> idx)
        {
            var (t, e, r) = Bootstrap.Gather(idx, time, events, risk);
            return Concordance.Harrell(t, e, r).Value;
        }
        var all = Enumerable.Range(0, time.Length).ToArray();
        var difference = Bootstrap.PairedEstimate(time.Length, idx => HarrellOf(main, idx), idx => HarrellOf(other, idx), replicates, seed, minDefinedShare);
        return new BackboneComparison(model, inputs, HarrellOf(main, all), HarrellOf(other, all), difference);
    }

    private static void WriteOutOfFold(string path, Cohort cohort, int[] fold, IReadOnlyList<string> arms, Dictionary<string, double[]> risks) =>
        CsvFile.Write(path, ["patient_id", "fold", .. arms.Select(a => "risk_" + a.Replace('+', '_'))],
            Enumerable.Range(0, cohort.Patients.Count).Select(i => (IReadOnlyList<object?>)[cohort.Patients[i].PatientId, fold[i] + 1, .. arms.Select(a => (object?)risks[a][i])]));

    private static string Table(CrossValidationResult r, string cohortPath)
    {
        var inv = CultureInfo.InvariantCulture;
        string Pm(double? mean, double? sd, int defined, int folds) =>
            (mean is not double m ? "undefined" : sd is double s ? string.Format(inv, "{0:F3} ± {1:F3}", m, s) : m.ToString("F3", inv))
            + (defined < folds ? $" ({defined} of {folds} folds)" : "");
        var text = new StringBuilder();
        text.AppendLine("# Cross-validated prognosis").AppendLine();
        text.AppendLine(inv, $"Cohort `{cohortPath}`: {r.Patients} patients, {r.Events} events; {r.Folds}-fold patient-level CV (fold sizes {string.Join(", ", r.FoldSizes)}; stratified by event{(r.StratifiedBySite ? " and site" : "")}, seed {r.Seed}).");
        text.AppendLine(inv, $"Features: {r.Backbone} at {r.ImageSize} px ({r.FeatureDimension}-d); loss {r.Loss}; {r.Epochs} epochs{(r.Clinical.Count > 0 ? $"; clinical {string.Join(", ", r.Clinical)} fused by {r.Fusion}" : "")}.");
        text.AppendLine(inv, $"Fold C-indices as mean ± sd over folds; pooled = the C-index of all out-of-fold risks together, 95% patient bootstrap ({r.BootstrapSamples} resamples). Uno C truncated at {r.HorizonMonths} months.").AppendLine();
        text.AppendLine("| model | inputs | Harrell C (folds) | Uno C (folds) | Harrell C pooled | Uno C pooled |").AppendLine("|---|---|---|---|---|---|");
        foreach (var a in r.Arms)
            text.AppendLine($"| {a.Name} | {a.Inputs} | {Pm(a.HarrellMean, a.HarrellSd, a.Folds.Count, a.Folds.Count)} | {Pm(a.UnoMean, a.UnoSd, a.Folds.Count(f => f.UnoC is not null), a.Folds.Count)} | {a.PooledHarrell.Format()} | {Estimate.Format(a.PooledUno)} |");
        if (r.BackboneComparisons is { Count: > 0 } comparisons)
        {
            text.AppendLine().AppendLine(inv, $"Backbone {r.Backbone} against {r.ComparisonBackbone} (same folds and seeds; pooled Harrell C; difference with a 95% paired patient bootstrap):").AppendLine();
            text.AppendLine($"| model | inputs | {r.Backbone} | {r.ComparisonBackbone} | difference |").AppendLine("|---|---|---|---|---|");
            foreach (var c in comparisons)
                text.AppendLine(inv, $"| {c.Model} | {c.Inputs} | {c.MainC:F3} | {c.ComparisonC:F3} | {Estimate.Format(c.Difference)}{(c.Difference?.Lower > 0 || c.Difference?.Upper < 0 ? " (excludes 0)" : "")} |");
        }
        if (r.ReferenceC.Count > 0)
        {
            text.AppendLine().AppendLine("References (Harrell C of the cohort's own columns, all patients):").AppendLine();
            foreach (var (name, c) in r.ReferenceC) text.AppendLine(inv, $"- {name}: {c:F3}");
            if (r.ReferenceC.TryGetValue("oracle", out var oracle))
                foreach (var a in r.Arms) text.AppendLine(inv, $"- {a.Name} pooled / oracle: {a.PooledHarrell.Value / oracle:P1}");
        }
        if (r.Warnings.Count > 0)
        {
            text.AppendLine();
            foreach (var w in r.Warnings) text.AppendLine($"- warning: {w}");
        }
        text.AppendLine().AppendLine(inv, $"Run time {r.Seconds:F0} s.");
        return text.ToString();
    }
}
