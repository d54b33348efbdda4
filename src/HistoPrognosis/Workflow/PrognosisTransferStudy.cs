using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HistoPrognosis.Data;
using HistoPrognosis.Configuration;
using HistoPrognosis.IO;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Reports;
using HistoPrognosis.Survival;
using HistoPrognosis.Training;
using HistoPrognosis.Training.EndToEnd;
using HistoPrognosis.Studies;
using static TorchSharp.torch;

namespace HistoPrognosis.Workflow;

/// <summary>
/// One arm trained on one draw of training patients, scored on the study's test patients. <see cref="KeptStep"/>: the
/// end-to-end step whose weights early stopping kept (null for the frozen-feature arms); <see cref="PeakRssMb"/>: the
/// peak resident memory of this run alone where the platform can say (<see cref="ProcessMemory"/>).
/// </summary>
public sealed record PrognosisTransferRun(
    string Arm, int TrainPatients, int Repeat, double HarrellC, double? UnoC, double? TimeDependentAuc, double? Brier,
    double TrainingHarrellC, double? DifferenceToScratch, double? DifferenceLower, double? DifferenceUpper,
    IReadOnlyList<EvaluationPoint> ValidationCDuringTraining, double Seconds, long PeakRssMb, double[] TestRisks,
    double? HarrellLower = null, double? HarrellUpper = null, int? KeptStep = null) : IStudyRecord
{
    public (string Arm, int TrainPatients, int Repeat) Key => (Arm, TrainPatients, Repeat);
    /// <summary>Training C minus test C: how much of what the arm learned does not carry to unseen patients.</summary>
    public double Overfitting => TrainingHarrellC - HarrellC;
}

/// <summary>
/// Mean over repeats of one arm at one training size, with a bootstrap 95% interval of the mean; for a single repeat,
/// the patient-bootstrap interval of that run on the test patients (Harrell C and the paired difference).
/// </summary>
public sealed record PrognosisTransferCell(string Arm, int TrainPatients, string Metric, double Mean, double Lower, double Upper, int Runs)
{
    /// <summary>"mean (lower–upper)", or the mean alone where there is no interval; for tables.</summary>
    public string Format(string format = "F3")
    {
        var inv = CultureInfo.InvariantCulture;
        return double.IsFinite(Lower) && double.IsFinite(Upper) && Lower != Upper
            ? $"{Mean.ToString(format, inv)} ({Lower.ToString(format, inv)}–{Upper.ToString(format, inv)})"
            : Mean.ToString(format, inv);
    }
}

/// <summary>What a run's results.json says of its prognosis-transfer study (<c>summary.json</c> in the study folder).</summary>
public sealed record PrognosisTransferSummary(int TestPatients, int TrainingPool, IReadOnlyDictionary<string, double> ReferenceC,
    IReadOnlyList<PrognosisTransferCell> Cells, string Statement);

/// <summary>
/// Does transfer learning beat training from scratch for five-year prognosis itself? One stratified test split of
/// the cohort's patients; for each training size and repeat a seeded draw of training patients from the rest; every
/// arm (<see cref="PrognosisArm"/>) trained on that draw with the run config's budget — end-to-end arms through
/// <see cref="EndToEndTrainer"/>, frozen-feature arms through the MIL model of <c>train</c> — and scored on the test
/// patients: Harrell and Uno C, td-AUC and Brier score at the horizon, the paired patient-bootstrap difference of
/// Harrell C against scratch on the same draw, training C (overfitting), validation C during training
/// (convergence), wall time and peak memory. Finished runs go to a progress file, so a killed study resumes.
/// </summary>
public sealed class PrognosisTransferStudy(PrognosisTransferConfig study, RunConfig config, Device device, PipelineLog log)
{
    /// <summary>Parses an arm as <see cref="Name"/> spells it, or fails listing the arms (and the nearest one).</summary>
    public static PrognosisArm ParseArm(string text)
    {
        foreach (var arm in Enum.GetValues<PrognosisArm>())
            if (Name(arm) == text.Trim()) return arm;
        var names = Enum.GetValues<PrognosisArm>().Select(Name).ToList();
        throw new UserInputException($"--arms: '{text}' is not one of {string.Join(", ", names)}{ConfigNames.Suggest(text, names)}");
    }

    /// <summary>The arm as study outputs and <c>--arms</c> spell it: scratch-end-to-end, frozen-mil, ...</summary>
    public static string Name(PrognosisArm arm) => string.Concat(arm.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    public const string SummaryName = "summary.json";

    public static PrognosisTransferSummary ReadSummary(string folder) =>
        JsonSerializer.Deserialize<PrognosisTransferSummary>(File.ReadAllText(Path.Combine(folder, SummaryName)), JsonDefaults.Options)
        ?? throw new InvalidDataException($"{folder}: empty {SummaryName}");

    public IReadOnlyList<PrognosisTransferRun> Run(Cohort cohort, PatchTable table, OutputFolder output)
    {
        study.Validate();
        config.Validate();
        if (study.Arms.Contains(PrognosisArm.PatchFinetunedMil) && table.Patches.Any(p => p.Label is null))
            throw new UserInputException($"{table.SourcePath}: the patch-finetuned-mil arm fine-tunes on patch labels, and this table has rows without 'label'");
        var model = config.ResolvedModel;
        cohort = PrognosisPipeline.WithPatches(cohort, table, config.Input.AllowMissing, log);
        var ids = cohort.Patients.Select(p => p.PatientId).ToList();
        var (poolIndex, testIndex) = PrognosisPipeline.HoldOut(ids, cohort.Events, study.TestFraction, config.Seed);
        var pool = poolIndex.Select(i => ids[i]).ToList();
        var testCohort = cohort.Subset(testIndex.Select(i => ids[i]));
        config.Evaluation.Minimum().Check($"{cohort.SourcePath}: the study's test patients", testCohort.Time, testCohort.Events);
        var sizes = study.Sizes.Select(s => s == 0 ? pool.Count : s).Distinct().Order().ToArray();
        if (sizes.FirstOrDefault(s => s > pool.Count) is var tooMany and > 0)
            throw new UserInputException($"--sizes {tooMany}: only {pool.Count} patients are left for training after the test split ({testCohort.Patients.Count} test patients)");
        log.Info($"prognosis-transfer: {testCohort.Patients.Count} test patients ({testCohort.Events.Count(e => e)} events), training draws of {string.Join(", ", sizes)} from {pool.Count}");

        var settings = JsonSerializer.Serialize(new { study, config = config.ToYaml(), cohort = cohort.SourcePath, table = table.SourcePath }, JsonDefaults.Options);
        var progress = new StudyProgress<PrognosisTransferRun>(output.Destination, settings);
        var work = WorkFolder(output.Destination, TrainingCheckpoint.Key(settings));
        var runs = new List<PrognosisTransferRun>();
        int total = sizes.Length * study.Repeats * study.Arms.Count, done = 0;
        foreach (var n in sizes)
            for (int repeat = 1; repeat <= study.Repeats; repeat++)
            {
                var drawn = pool.ToArray();
                new Random(StableSeed.Of(config.Seed, n, repeat)).Shuffle(drawn);
                var trainCohort = cohort.Subset(drawn.Take(n));
                double[]? scratchRisks = null;
                // Scratch first: every other arm's paired difference is taken against it on the same draw.
                foreach (var arm in study.Arms.OrderBy(a => a == PrognosisArm.ScratchEndToEnd ? 0 : 1))
                {
                    var name = Name(arm);
                    var run = progress.Find(name, n, repeat);
                    if (run is not null) log.Info($"[{++done}/{total}] {name} n={n} repeat {repeat}: test C {run.HarrellC:F3} (finished earlier)");
                    else
                    {
                        var folder = Path.Combine(work, $"{name}-n{n}-r{repeat}");
                        run = TrainAndScore(arm, n, repeat, trainCohort, testCohort, table, folder, scratchRisks);
                        progress.Add(run);
                        CrashPoint.Hit("study.run");
                        TryDelete(folder);
                        log.Info($"[{++done}/{total}] {name} n={n} repeat {repeat}: test C {run.HarrellC:F3}, training C {run.TrainingHarrellC:F3} ({run.Seconds:F0} s)");
                    }
                    if (arm == PrognosisArm.ScratchEndToEnd) scratchRisks = run.TestRisks;
                    runs.Add(run);
                }
            }

        // A simulated cohort knows its true risk: the oracle's C on the same test patients is the ceiling to compare with.
        var references = PrognosisEvaluation.ReferenceC(testCohort);
        if (references.Count > 0 && PatchProbeC(cohort.Subset(pool), testCohort, table) is double probe) references["patch_probe_frozen"] = probe;
        var cells = Summarize(runs);
        var statement = Statement(cells, sizes);
        var testIds = testCohort.Patients.Select(p => p.PatientId).ToArray();
        File.WriteAllText(output.File("study.json"), JsonSerializer.Serialize(new
        {
            study, test_patients = testIds, training_pool = pool.Count, reference_c = references, runs = runs.Select(r => r with { TestRisks = [] }), summary = cells, statement,
        }, JsonDefaults.Options));
        File.WriteAllText(output.File(SummaryName), JsonSerializer.Serialize(
            new PrognosisTransferSummary(testIds.Length, pool.Count, references, cells.Where(c => c.Metric is "harrell_c" or "difference_to_scratch").ToList(), statement),
            JsonDefaults.Options));
        CsvFile.Write(output.File("test-risks.csv"), ["patient_id", "arm", "train_patients", "repeat", "risk"],
            runs.SelectMany(r => r.TestRisks.Select((risk, i) => new object?[] { testIds[i], r.Arm, r.TrainPatients, r.Repeat, risk })));
        File.WriteAllText(output.File("table.md"), Table(cells, statement, testCohort, pool.Count, references));
        foreach (var (metric, title, axis) in new[] { ("harrell_c", "Test Harrell C vs training patients", "Harrell C on test patients"), ("overfitting", "Training C − test C vs training patients", "training C − test C") })
            File.WriteAllText(output.File($"{metric.Replace('_', '-')}.svg"), LineChartSvg.Render(title, "training patients (log scale)", $"{axis} (mean over repeats, 95% CI)",
                study.Arms.Select(a => new ChartSeries(Name(a), cells.Where(c => c.Arm == Name(a) && c.Metric == metric)
                    .Select(c => (X: (double)c.TrainPatients, Y: c.Mean, Low: c.Lower, High: c.Upper)).ToList())).ToList(), logX: true));
        output.Commit();
        progress.Complete();
        TryDelete(work);
        log.Info(statement);
        return runs;
    }

    /// <summary>
    /// The supervised ceiling of the frozen ImageNet features (<see cref="PatchProbeReference"/>), fitted on the whole
    /// training pool's patch labels; null when the table has no labels.
    /// </summary>
    private double? PatchProbeC(Cohort poolCohort, Cohort testCohort, PatchTable table)
    {
        if (table.Patches.Any(p => p.Label is null)) return null;
        var pipeline = new PrognosisPipeline(device, log);
        var source = FeatureSource.Of(table, config.Features, config.Stain, config.Seed);
        var (trainCohort, trainBags, _) = pipeline.LoadCohortFeatures(poolCohort, source, config.Input.AllowMissing);
        var (scoredCohort, testBags, _) = pipeline.LoadCohortFeatures(testCohort, source, config.Input.AllowMissing);
        return PatchProbeReference.HarrellC(table, trainCohort, trainBags, scoredCohort, testBags);
    }

    private PrognosisTransferRun TrainAndScore(PrognosisArm arm, int n, int repeat, Cohort trainCohort, Cohort testCohort, PatchTable table, string folder,
        double[]? scratchRisks)
    {
        ProcessMemory.ResetPeak();
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(folder);
        var model = config.ResolvedModel with { Seed = StableSeed.Of(config.Seed, n, repeat) };
        string imagenet = config.Features.Backbone;
        IReadOnlyList<EvaluationPoint> convergence = [];
        int? keptStep = null;
        string modelDir = Path.Combine(folder, "model");
        Func<Cohort, string, IReadOnlyList<PatientPrediction>> predict;
        if (arm is PrognosisArm.FrozenMil or PrognosisArm.PatchFinetunedMil)
        {
            string backbone = imagenet;
            if (arm == PrognosisArm.PatchFinetunedMil)
            {
                var patchDir = Path.Combine(folder, "patch-finetune");
                var finetune = study.Budget(config) with { Policy = FinetunePolicy.Discriminative };
                new FinetuneJob(new FinetuneJobConfig(imagenet, model.Seed, finetune, config.Stain), device, log).Run(table.Subset(trainCohort.Patients.Select(p => p.PatientId)), null, patchDir);
                backbone = patchDir;
            }
            var source = FeatureSource.Of(table, config.Features with { Backbone = backbone }, config.Stain, config.Seed);
            var pipeline = new PrognosisPipeline(device, log);
            Directory.CreateDirectory(modelDir);
            pipeline.Train(trainCohort, source, model, modelDir, config.Input.AllowMissing).Dispose();
            predict = (c, risks) => pipeline.Predict(modelDir, c, table, risks, config.Features.Cache, config.Input.AllowMissing);
        }
        else
        {
            var policy = arm switch
            {
                PrognosisArm.ScratchEndToEnd => FinetunePolicy.Scratch,
                PrognosisArm.EndToEndGradual => FinetunePolicy.Gradual,
                PrognosisArm.EndToEndDiscriminative => FinetunePolicy.Discriminative,
                PrognosisArm.EndToEndLora => FinetunePolicy.Lora,
                _ => throw new ArgumentOutOfRangeException(nameof(arm)),
            };
            var backbone = arm == PrognosisArm.ScratchEndToEnd ? BackboneFactory.Scratch : imagenet;
            var source = FeatureSource.Of(table, config.Features with { Backbone = backbone }, config.Stain, model.Seed);
            var setup = new EndToEndSetup(study.Budget(config) with { Policy = policy }, model, model.Seed);
            var pipeline = new EndToEndPipeline(device, log);
            Directory.CreateDirectory(modelDir);
            using (var trained = pipeline.Train(trainCohort, source, setup, modelDir, config.Input.AllowMissing, Path.Combine(folder, "checkpoints")))
            {
                convergence = trained.History?.Evaluations ?? [];
                // Without validation the run kept its last step; with it, the best evaluated one (0: the warm-started head).
                if (trained.History is { } h) keptStep = h.Evaluations.Count > 0 ? h.BestStep : h.Losses.Count > 0 ? h.Losses[^1].Step : 0;
            }
            predict = (c, risks) => pipeline.Predict(modelDir, c, table, risks, config.Input.AllowMissing);
        }

        var testRisksPath = Path.Combine(folder, "test-risks.csv");
        predict(testCohort, testRisksPath);
        var trainRisks = predict(trainCohort, Path.Combine(folder, "train-risks.csv")).Select(p => p.Risk).ToArray();
        var evaluation = PrognosisEvaluation.Run(testCohort, testRisksPath, Path.Combine(folder, "evaluation"), config.Evaluation, config.Seed, model.HorizonMonths);
        var testRisks = PrognosisEvaluation.ReadRisks(testRisksPath, testCohort).Risk;
        double? difference = null, lower = null, upper = null;
        if (scratchRisks is not null)
        {
            var paired = CrossValidation.Compare(Name(arm) + " − scratch", "image", testCohort.Time, testCohort.Events, testRisks, scratchRisks,
                config.Evaluation.BootstrapSamples, StableSeed.Of(config.Seed, n, repeat, "paired"), config.Evaluation.MinDefinedShare);
            (difference, lower, upper) = (paired.Difference?.Value, paired.Difference?.Lower, paired.Difference?.Upper);
        }
        return new PrognosisTransferRun(Name(arm), n, repeat, evaluation.HarrellC.Value, evaluation.UnoC?.Value, evaluation.TimeDependentAuc?.Value, evaluation.Brier?.Value,
            Concordance.Harrell(trainCohort.Time, trainCohort.Events, trainRisks).Value, difference, lower, upper, convergence,
            clock.Elapsed.TotalSeconds, ProcessMemory.PeakMb(), testRisks, evaluation.HarrellC.Lower, evaluation.HarrellC.Upper, keptStep);
    }

    private List<PrognosisTransferCell> Summarize(IReadOnlyList<PrognosisTransferRun> runs)
    {
        var cells = new List<PrognosisTransferCell>();
        foreach (var group in runs.GroupBy(r => (r.Arm, r.TrainPatients)))
            foreach (var (metric, pick) in new (string, Func<PrognosisTransferRun, double?>)[]
                     {
                         ("harrell_c", r => r.HarrellC), ("uno_c", r => r.UnoC), ("td_auc", r => r.TimeDependentAuc), ("brier", r => r.Brier),
                         ("overfitting", r => r.Overfitting), ("difference_to_scratch", r => r.DifferenceToScratch),
                         ("kept_step", r => r.KeptStep), ("seconds", r => r.Seconds), ("peak_rss_mb", r => r.PeakRssMb),
                     })
            {
                var values = group.Select(pick).OfType<double>().Where(double.IsFinite).ToArray();
                if (values.Length == 0) continue;
                var (mean, low, high) = MeanInterval(values, StableSeed.Of(config.Seed, group.Key.Arm, group.Key.TrainPatients, metric));
                // One draw: its spread over repeats is unknown, but the test patients' bootstrap interval is not.
                if (values.Length == 1 && group.Single() is var only)
                    (low, high) = metric switch
                    {
                        "harrell_c" when only.HarrellLower is double l && only.HarrellUpper is double u => (l, u),
                        "difference_to_scratch" when only.DifferenceLower is double l && only.DifferenceUpper is double u => (l, u),
                        _ => (low, high),
                    };
                cells.Add(new PrognosisTransferCell(group.Key.Arm, group.Key.TrainPatients, metric, mean, low, high, values.Length));
            }
        return cells;
    }

    /// <summary>Mean of the repeats with a percentile bootstrap interval of that mean (the mean itself for one repeat).</summary>
    private (double Mean, double Lower, double Upper) MeanInterval(double[] values, int seed)
    {
        double mean = values.Average();
        if (values.Length < 2 || config.Evaluation.BootstrapSamples < 1) return (mean, mean, mean);
        var interval = Bootstrap.Percentile(values.Length, idx => { double sum = 0; foreach (var i in idx) sum += values[i]; return sum / idx.Length; },
            config.Evaluation.BootstrapSamples, seed);
        return (mean, interval.Lower, interval.Upper);
    }

    /// <summary>Where transfer wins and where it does not, in words, from the Harrell C cells.</summary>
    private static string Statement(IReadOnlyList<PrognosisTransferCell> cells, int[] sizes)
    {
        var inv = CultureInfo.InvariantCulture;
        double? C(string arm, int n) => cells.FirstOrDefault(c => c.Arm == arm && c.TrainPatients == n && c.Metric == "harrell_c")?.Mean;
        string scratch = Name(PrognosisArm.ScratchEndToEnd);
        int largest = sizes.Max();
        if (C(scratch, largest) is not double target) return "no scratch result at the largest training size";
        var lines = new List<string>();
        foreach (var arm in cells.Select(c => c.Arm).Distinct().Where(a => a != scratch))
        {
            var matches = sizes.Where(n => C(arm, n) >= target).ToList();
            var wins = sizes.Where(n => cells.FirstOrDefault(c => c.Arm == arm && c.TrainPatients == n && c.Metric == "difference_to_scratch") is { } d && d.Lower > 0).ToList();
            lines.Add(string.Format(inv, "{0}: {1}; paired difference to scratch above 0 at {2}.", arm,
                matches.Count > 0 ? $"matches scratch's C at {largest} patients ({target:F3}) with {matches.Min()} training patients" : $"never reaches scratch's C at {largest} patients ({target:F3})",
                wins.Count > 0 ? string.Join(", ", wins) + " patients" : "no size (every 95% interval includes 0)"));
        }
        return string.Join(" ", lines);
    }

    private string Table(IReadOnlyList<PrognosisTransferCell> cells, string statement, Cohort testCohort, int pool, IReadOnlyDictionary<string, double> references)
    {
        var inv = CultureInfo.InvariantCulture;
        string Cell(string arm, int n, string metric) =>
            cells.FirstOrDefault(c => c.Arm == arm && c.TrainPatients == n && c.Metric == metric)?.Format(metric is "kept_step" or "seconds" or "peak_rss_mb" ? "F0" : "F3") ?? "–";
        var text = new StringBuilder("# Prognosis transfer study\n\n");
        text.AppendLine(inv, $"Test patients: {testCohort.Patients.Count} ({testCohort.Events.Count(e => e)} events), held out once; training draws from {pool}. "
                             + $"Backbone {config.Features.Backbone} at {config.Features.ImageSize} px, {study.Budget(config).TotalSteps} end-to-end steps, "
                             + $"MIL {ConfigNames.Value(config.Model.Aggregator)} / {ConfigNames.Value(config.Model.Loss)}. Mean over {study.Repeats} repeat(s), 95% bootstrap interval of the mean"
                             + $"{(study.Repeats == 1 ? " (one repeat: the run's 95% patient-bootstrap interval on the test patients, for Harrell C and the paired difference)." : ".")}");
        if (references.Count > 0)
            text.AppendLine().AppendLine("Reference Harrell C on the same test patients (simulated cohort): " +
                                         string.Join(", ", references.Select(r => string.Format(inv, "{0} {1:F3}", r.Key, r.Value))) + "." +
                                         (references.ContainsKey("patch_probe_frozen") ? " patch_probe_frozen: a linear patch classifier on the frozen ImageNet features, fitted to the training pool's patch labels, its mean probability per patient as the risk — what these features tell with full patch supervision." : ""));
        foreach (var (metric, title) in new[] { ("harrell_c", "Harrell C (test)"), ("uno_c", "Uno C (test)"), ("td_auc", "5-year td-AUC (test)"), ("brier", "Brier score at 5 years (test)"),
                     ("difference_to_scratch", "Harrell C minus scratch, paired on the same draw"), ("overfitting", "Training C minus test C"),
                     ("kept_step", "Step kept by early stopping on the validation C (end-to-end arms)"), ("seconds", "Wall time per run (s)"), ("peak_rss_mb", "Peak resident memory per run (MiB)") })
        {
            var sizes = cells.Select(c => c.TrainPatients).Distinct().Order().ToList();
            text.AppendLine().AppendLine($"## {title}").AppendLine();
            text.AppendLine("| arm | " + string.Join(" | ", sizes) + " |").AppendLine("|---|" + string.Concat(sizes.Select(_ => "---|")));
            foreach (var arm in study.Arms.Select(Name))
                text.AppendLine($"| {arm} | " + string.Join(" | ", sizes.Select(n => Cell(arm, n, metric))) + " |");
        }
        return text.AppendLine().AppendLine(statement).ToString();
    }

    /// <summary>
    /// Models and checkpoints of unfinished runs: beside the output, named for the settings (a study with other
    /// settings never resumes these; their folders are removed), stable across processes, removed when the study is written.
    /// </summary>
    private static string WorkFolder(string destination, string settingsKey)
    {
        var work = OutputFolder.Beside(destination, ".work-" + settingsKey);
        var prefix = Path.GetFileName(work)[..^settingsKey.Length];
        foreach (var other in Directory.EnumerateDirectories(Path.GetDirectoryName(work)!, prefix + "*"))
            if (other != work) TryDelete(other);
        return work;
    }

    private static void TryDelete(string folder)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}
