using System.Globalization;
using System.Text.Json;
using HistoPrognosis.Data;
using HistoPrognosis.IO;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Reports.Html;

/// <summary>One held-out test patient of an arm: the per-patient table's row.</summary>
public sealed record ReportPatient(string PatientId, double Risk, double? EventProbability, string RiskGroup, double TimeMonths, bool Event);

/// <summary>A holdout arm with its test patients (risk, group, follow-up) in cohort order.</summary>
public sealed record ReportArm(RunArm Arm, string Directory, IReadOnlyList<ReportPatient> Patients);

/// <summary>A learning curve a stage wrote (MIL loss per epoch, end-to-end loss per step, fine-tuning validation AUC).</summary>
public sealed record LearningCurve(string Arm, string Title, string XLabel, string YLabel, IReadOnlyList<ChartSeries> Series);

/// <summary>Everything <c>report.html</c> shows, read from a finished run folder (nothing is recomputed but the plots).</summary>
public sealed class RunReportContext
{
    private RunReportContext(string runDirectory, string reportDirectory, RunResult result, RunConfig? config, IReadOnlyList<ReportArm> arms, IReadOnlyList<LearningCurve> curves, ModelCard? card)
    {
        RunDirectory = runDirectory;
        ReportDirectory = reportDirectory;
        Result = result;
        Config = config;
        Arms = arms;
        LearningCurves = curves;
        ModelCard = card;
    }

    public string RunDirectory { get; }
    /// <summary>The folder report.html is written to: links to files of the run are relative to it.</summary>
    public string ReportDirectory { get; }
    public RunResult Result { get; }
    /// <summary>The run's resolved <c>run-config.yaml</c> (null when the folder has none).</summary>
    public RunConfig? Config { get; }
    public IReadOnlyList<ReportArm> Arms { get; }
    public IReadOnlyList<LearningCurve> LearningCurves { get; }
    /// <summary>The run-level <c>model_card.json</c> (null when the run has none).</summary>
    public ModelCard? ModelCard { get; }
    public double HorizonMonths => Arms.FirstOrDefault()?.Arm.Evaluation.HorizonMonths ?? Result.Crossval?.HorizonMonths ?? Config?.Model.HorizonMonths ?? 60;

    /// <summary>Reads the run folder; a folder without <c>results.json</c> is not a finished run (<see cref="UserInputException"/>).</summary>
    /// <param name="reportDirectory">where the report goes (default: the run folder)</param>
    public static RunReportContext Load(string runDirectory, string? reportDirectory = null)
    {
        var dir = Path.GetFullPath(runDirectory);
        var resultsPath = Path.Combine(dir, "results.json");
        if (!File.Exists(resultsPath)) throw new UserInputException($"{dir}: not a finished run ({resultsPath} not found; run histoprog run or demo first)");
        RunResult result;
        try
        {
            result = JsonSerializer.Deserialize<RunResult>(File.ReadAllText(resultsPath), JsonDefaults.Options) ?? throw new UserInputException($"{resultsPath}: empty");
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{resultsPath}: not a run's results ({ex.Message})", ex);
        }
        var configPath = Path.Combine(dir, RunConfig.FileName);
        var config = File.Exists(configPath) ? RunConfig.Load(configPath) : null;
        var arms = result.Arms.Count > 0 ? TestArms(dir, result, config) : [];
        var curves = result.Arms.SelectMany(a => Curves(a.Name, Path.Combine(dir, a.Name))).ToList();
        return new RunReportContext(dir, Path.GetFullPath(reportDirectory ?? dir), result, config, arms, curves, ModelCardFile.TryRead(dir));
    }

    private static List<ReportArm> TestArms(string dir, RunResult result, RunConfig? config)
    {
        if (config is null) throw new UserInputException($"{dir}: {RunConfig.FileName} not found (the report reads the cohort it names)");
        var cohortPath = config.Input.SimulateFollowUp ? Path.Combine(dir, "cohort", "cohort.csv")
            : config.Input.Cohort ?? throw new UserInputException($"{Path.Combine(dir, RunConfig.FileName)}: input.cohort is not set");
        if (!File.Exists(cohortPath)) throw new UserInputException($"{cohortPath}: the run's cohort was not found");
        var splitPath = Path.Combine(dir, "split", "split.csv");
        if (!File.Exists(splitPath)) throw new UserInputException($"{splitPath}: the run's split was not found");
        var split = CsvTable.Read(splitPath);
        int id = split.RequireColumn("patient_id"), part = split.RequireColumn("part");
        var testIds = Enumerable.Range(0, split.Rows.Count).Where(r => split.Text(r, part) == "test").Select(r => split.Text(r, id)).ToList();
        var test = Cohort.Load(cohortPath, requireOutcome: true).Subset(testIds);
        var (time, events) = (test.Time, test.Events);
        var arms = new List<ReportArm>();
        foreach (var arm in result.Arms)
        {
            var armDir = Path.Combine(dir, arm.Name);
            var risksPath = Path.Combine(armDir, "predict", "risks.csv");
            if (!File.Exists(risksPath)) throw new UserInputException($"{risksPath}: the arm's predictions were not found");
            var (risk, probability) = PrognosisEvaluation.ReadRisks(risksPath, test);
            var group = Survival.RiskGroups.AboveMedian(risk); // the evaluation's split
            arms.Add(new ReportArm(arm, armDir, test.Patients.Select((p, i) =>
                new ReportPatient(p.PatientId, risk[i], probability?[i], group[i] == 1 ? "high" : "low", time[i], events[i])).ToList()));
        }
        return arms;
    }

    /// <summary>The curves an arm's stages wrote, those present.</summary>
    private static IEnumerable<LearningCurve> Curves(string arm, string armDir)
    {
        var model = Path.Combine(armDir, "model");
        if (Read(Path.Combine(model, "loss-curve.csv"), "epoch", ["train_loss", "validation_loss"]) is { } mil)
        {
            // Without validation patients the trainer writes the training loss in both columns: one line, said so.
            bool noValidation = mil.Count == 2 && mil[0].Points.SequenceEqual(mil[1].Points);
            yield return new LearningCurve(arm, noValidation ? "MIL training: loss per epoch (no validation share)" : "MIL training: loss per epoch", "epoch", "loss",
                noValidation ? [mil[0]] : mil);
        }
        if (Read(Path.Combine(model, "losses.csv"), "step", ["loss"]) is { } e2e)
            yield return new LearningCurve(arm, "End-to-end training: loss per step", "step", "loss", e2e);
        if (Read(Path.Combine(model, "metrics.csv"), "step", ["validation_c"]) is { } c)
            yield return new LearningCurve(arm, "End-to-end training: validation C-index", "step", "Harrell C", c);
        if (Read(Path.Combine(armDir, "finetune", "metrics.csv"), "step", ["validation_auc"]) is { } auc)
            yield return new LearningCurve(arm, "Patch fine-tuning: validation ROC AUC", "optimizer step", "ROC AUC", auc);
    }

    /// <summary>The y columns against the x column; empty cells (no validation share) left out; null when the file is absent or has no value.</summary>
    private static List<ChartSeries>? Read(string path, string x, string[] ys)
    {
        if (!File.Exists(path)) return null;
        var table = CsvTable.Read(path);
        if (!table.HasColumn(x)) return null;
        int xc = table.RequireColumn(x);
        var series = new List<ChartSeries>();
        foreach (var y in ys.Where(table.HasColumn))
        {
            int yc = table.RequireColumn(y);
            var points = new List<(double, double, double, double)>();
            for (int r = 0; r < table.Rows.Count; r++)
                if (double.TryParse(table.Text(r, xc), NumberStyles.Float, CultureInfo.InvariantCulture, out var xv)
                    && double.TryParse(table.Text(r, yc), NumberStyles.Float, CultureInfo.InvariantCulture, out var yv) && double.IsFinite(yv))
                    points.Add((xv, yv, double.NaN, double.NaN));
            if (points.Count > 0) series.Add(new ChartSeries(y.Replace('_', ' '), points));
        }
        return series.Count > 0 ? series : null;
    }
}
