using HistoPrognosis.IO;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HistoPrognosis.Data;
using HistoPrognosis.Models;
using HistoPrognosis.Reports;
using HistoPrognosis.Survival;
using HistoPrognosis.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Studies;

/// <summary>One trained model of the study, evaluated on every test patch.</summary>
public sealed record StudyRun(string Method, int TrainPatients, int Repeat, double Auc, double BalancedAccuracy, double F1,
    double Spearman, double Seconds, IReadOnlyList<EvaluationPoint> AucDuringTraining);

/// <summary>Mean over repeats with a bootstrap 95% interval of that mean.</summary>
public sealed record StudyCell(string Method, int TrainPatients, string Metric, double Mean, double Sd, double Lower, double Upper, int Runs);

/// <summary>
/// For each training size, draws that many patients from the training pool (seeded per size and repeat), trains
/// each method with the same optimizer steps and batch, and evaluates on every patch of the test table. Writes
/// study.json, predictions.csv, table.md and learning-curve.svg, and commits the output folder. Finished runs are
/// kept in a progress file (<see cref="StudyProgress"/>), so an interrupted study resumes where it stopped.
/// </summary>
public sealed class TransferStudy(TransferStudyConfig config, Device device, PipelineLog log)
{
    private static readonly double[] ConvergenceFractions = [0.10, 0.25, 0.50, 1.00];

    public IReadOnlyList<StudyRun> Run(OutputFolder output)
    {
        config.Validate();
        using (BackboneFactory.Create(config.Backbone, config.Seed)) { } // a spec that cannot load fails before the patches are read
        var trainTable = PatchTable.Load(config.TrainTable, requireLabel: true);
        var testTable = PatchTable.Load(config.TestTable, requireLabel: true);
        var shared = trainTable.PatientIds.Intersect(testTable.PatientIds).ToList();
        if (shared.Count > 0)
            throw new UserInputException($"{config.TestTable} shares {shared.Count} patient(s) with {config.TrainTable} (e.g. {string.Join(", ", shared.Take(3))}): the test patients must be unseen");
        var pool = trainTable.PatientIds;
        var tooLarge = config.Sizes.Where(s => s > pool.Count).ToList();
        if (tooLarge.Count > 0)
            throw new UserInputException($"--sizes {string.Join(",", tooLarge)} exceed the {pool.Count} patients of {config.TrainTable}");

        int size = config.Finetune.ImageSize;
        using var trainAll = PatchDataset.Load(trainTable.Patches, size, log, "loading training pool");
        using var test = PatchDataset.Load(testTable.Patches, size, log, "loading test patches");
        var testPatients = PatchTable.StableOrder(test.PatientIds.Distinct());
        var trueFraction = testPatients.Select(p => Enumerable.Range(0, test.Count).Where(i => test.PatientIds[i] == p).Average(i => (double)test.Labels[i])).ToArray();

        var runs = new List<StudyRun>();
        var progress = new StudyProgress(output.Destination, JsonSerializer.Serialize(config, HistoPrognosis.IO.JsonDefaults.Options));
        if (progress.Count > 0) log.Info($"resuming: {progress.Count} finished run(s) in {progress.FilePath}");
        var predictions = new StringBuilder("path,method,train_patients,repeat,prob\n");
        int total = config.Sizes.Length * config.Repeats * config.Methods.Length, done = 0;
        var evaluateAt = ConvergenceFractions.Select(f => Math.Max(1, (int)Math.Round(f * config.Finetune.TotalSteps))).ToHashSet();
        foreach (var n in config.Sizes)
            for (int repeat = 1; repeat <= config.Repeats; repeat++)
            {
                var drawn = pool.ToArray();
                new Random(StableSeed.Of(config.Seed, n, repeat)).Shuffle(drawn);
                var patients = drawn.Take(n).ToHashSet();
                using var train = trainAll.Select(PatchSubset.IndicesOf(trainAll, patients));
                if (train.Count == 0) throw new UserInputException($"the {n} patients drawn (repeat {repeat}) have no patches");
                if (train.Labels.Distinct().Count() < 2)
                {
                    log.Info($"size {n} repeat {repeat}: the drawn patients have a single class; redrawing is not done — this run is skipped and reported");
                    continue;
                }
                foreach (var method in config.Methods)
                {
                    if (progress.Find(method, n, repeat) is { } finished)
                    {
                        Record(finished);
                        log.Info($"[{++done}/{total}] {method,-8} n={n,-4} repeat {repeat}: AUC {finished.Run.Auc:F3} (finished earlier)");
                        continue;
                    }
                    var clock = Stopwatch.StartNew();
                    int seed = StableSeed.Of(config.Seed, n, repeat, method);
                    using var model = new PatchClassifier(method == "scratch" ? BackboneFactory.CreateScratchTwin(config.Backbone, seed) : BackboneFactory.Create(config.Backbone, seed));
                    model.to(device);
                    var policy = method switch
                    {
                        "scratch" => FinetunePolicy.Scratch, "frozen" => FinetunePolicy.Frozen, "gradual" => FinetunePolicy.Gradual, "lora" => FinetunePolicy.Lora,
                        _ => FinetunePolicy.Discriminative,
                    };
                    var trainer = new PatchClassifierTrainer(config.Finetune, device, PipelineLog.Silent);
                    var options = new TrainingOptions
                    {
                        Evaluate = m => ClassificationMetrics.RocAuc(PatchClassifierTrainer.PredictProbabilities(m, test, device), test.Labels),
                        EvaluateAtSteps = evaluateAt,
                    };
                    var history = trainer.Train(model, train, policy, seed, options, method);
                    var prob = PatchClassifierTrainer.PredictProbabilities(model, test, device);
                    var meanProb = testPatients.Select(p => Enumerable.Range(0, test.Count).Where(i => test.PatientIds[i] == p).Average(i => (double)prob[i])).ToArray();
                    var run = new StudyRun(method, n, repeat, ClassificationMetrics.RocAuc(prob, test.Labels),
                        BinaryMetrics.BalancedAccuracy(prob, test.Labels), BinaryMetrics.F1(prob, test.Labels),
                        BinaryMetrics.Spearman(meanProb, trueFraction), clock.Elapsed.TotalSeconds, history.Evaluations);
                    var completed = new CompletedRun(run, prob);
                    progress.Add(completed);
                    CrashPoint.Hit("study.run");
                    Record(completed);
                    log.Info($"[{++done}/{total}] {method,-8} n={n,-4} repeat {repeat}: AUC {run.Auc:F3}, balanced acc {run.BalancedAccuracy:F3}, Spearman {run.Spearman:F3} ({run.Seconds:F0} s)");
                }
            }

        void Record(CompletedRun completed)
        {
            var r = completed.Run;
            runs.Add(r);
            for (int i = 0; i < test.Count; i++)
                predictions.Append(CultureInfo.InvariantCulture, $"{Csv(test.Paths[i])},{r.Method},{r.TrainPatients},{r.Repeat},{completed.Probabilities[i]:G6}\n");
        }

        var cells = Summarize(runs);
        var statement = Statement(cells);
        File.WriteAllText(output.File("study.json"), JsonSerializer.Serialize(new { config, runs, summary = cells, statement }, HistoPrognosis.IO.JsonDefaults.Options));
        File.WriteAllText(output.File("predictions.csv"), predictions.ToString());
        File.WriteAllText(output.File("table.md"), Table(cells, statement));
        var series = config.Methods.Select(m => new ChartSeries(m, cells.Where(c => c.Method == m && c.Metric == "auc")
            .Select(c => (X: (double)c.TrainPatients, Y: c.Mean, Low: c.Lower, High: c.Upper)).ToList())).ToList();
        File.WriteAllText(output.File("learning-curve.svg"),
            LineChartSvg.Render("Patch ROC AUC on unseen patients vs training patients", "training patients (log scale)", "ROC AUC (mean, 95% bootstrap CI)", series, logX: true));
        output.Commit();
        progress.Complete(); // only now: until the output is in place, a rerun can still reuse the finished runs
        log.Info(statement);
        return runs;
    }

    private List<StudyCell> Summarize(IReadOnlyList<StudyRun> runs)
    {
        var cells = new List<StudyCell>();
        foreach (var group in runs.GroupBy(r => (r.Method, r.TrainPatients)))
            foreach (var (metric, pick) in new (string, Func<StudyRun, double>)[] { ("auc", r => r.Auc), ("balanced_accuracy", r => r.BalancedAccuracy), ("f1", r => r.F1), ("spearman", r => r.Spearman) })
            {
                var values = group.Select(pick).Where(double.IsFinite).ToArray();
                if (values.Length == 0) continue;
                double mean = values.Average();
                double sd = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
                double lower = mean, upper = mean;
                if (values.Length > 1 && config.BootstrapSamples > 0)
                {
                    var interval = Bootstrap.Percentile(values.Length, idx => { double s = 0; foreach (var i in idx) s += values[i]; return s / idx.Length; },
                        config.BootstrapSamples, config.Seed);
                    (lower, upper) = (interval.Lower, interval.Upper);
                }
                cells.Add(new StudyCell(group.Key.Method, group.Key.TrainPatients, metric, mean, sd, lower, upper, values.Length));
            }
        return cells;
    }

    /// <summary>The smallest size at which fine-tuning's mean AUC reaches scratch's at the largest size.</summary>
    private string Statement(IReadOnlyList<StudyCell> cells)
    {
        int largest = config.Sizes.Max();
        var scratchTop = cells.FirstOrDefault(c => c.Method == "scratch" && c.TrainPatients == largest && c.Metric == "auc");
        if (scratchTop is null || !cells.Any(c => c.Method == "finetune")) return "fine-tuning vs scratch: not both methods were run";
        var match = cells.Where(c => c.Method == "finetune" && c.Metric == "auc" && c.Mean >= scratchTop.Mean).OrderBy(c => c.TrainPatients).FirstOrDefault();
        return match is null
            ? $"fine-tuning did not reach scratch's AUC at {largest} patients ({scratchTop.Mean:F3}) at any size tried"
            : $"fine-tuning matches scratch trained on {largest} patients (AUC {scratchTop.Mean:F3}) from {match.TrainPatients} training patients (AUC {match.Mean:F3})";
    }

    private string Table(IReadOnlyList<StudyCell> cells, string statement)
    {
        var s = new StringBuilder();
        foreach (var metric in new[] { "auc", "spearman" })
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"### {(metric == "auc" ? "Patch ROC AUC" : "Per-patient Spearman (mean probability vs true IDC fraction)")}, mean ± sd over repeats");
            s.AppendLine();
            s.AppendLine("| training patients | " + string.Join(" | ", config.Methods) + " |");
            s.AppendLine("|---|" + string.Concat(config.Methods.Select(_ => "---|")));
            foreach (var n in config.Sizes)
            {
                var row = config.Methods.Select(m =>
                    cells.FirstOrDefault(c => c.Method == m && c.TrainPatients == n && c.Metric == metric) is { } c
                        ? string.Create(CultureInfo.InvariantCulture, $"{c.Mean:F3} ± {c.Sd:F3}") : "–");
                s.AppendLine($"| {n} | {string.Join(" | ", row)} |");
            }
            s.AppendLine();
        }
        s.AppendLine(statement);
        return s.ToString();
    }

    private static string Csv(string text) => text.Contains(',') || text.Contains('"') ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
}
