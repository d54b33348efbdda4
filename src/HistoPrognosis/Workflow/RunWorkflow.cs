using System.Globalization;
using System.Text.Json;
using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.Heatmaps;
using HistoPrognosis.IO;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Reports;
using HistoPrognosis.Reports.Html;
using HistoPrognosis.Slides;
using HistoPrognosis.Simulation;
using HistoPrognosis.Studies;
using HistoPrognosis.Training;
using HistoPrognosis.Training.EndToEnd;

namespace HistoPrognosis.Workflow;

/// <summary>One backbone arm of a holdout run: where its model, risks and evaluation are, and the test metrics.</summary>
public sealed record RunArm(string Name, string Backbone, string? FinetunedFrom, PrognosisEvaluationResult Evaluation);

/// <summary>What <c>histoprog run</c> (and the demo) write to <c>results.json</c>.</summary>
public sealed record RunResult(
    string Title, EvaluationProtocol Protocol, int Seed, int Patients, int Events, int TrainPatients, int TestPatients,
    IReadOnlyList<RunArm> Arms, BackboneComparison? Comparison, CrossValidationResult? Crossval, PrognosisTransferSummary? PrognosisTransfer = null);

/// <summary>
/// The whole workflow from one <see cref="RunConfig"/>: tile (slides) → simulate follow-up (if asked) → split
/// (holdout) → fine-tune (if enabled) → extract → cross-validate, or train + predict + evaluate → report. Each
/// stage writes its own folder under the run's output through <see cref="StageRunner"/>, so a rerun skips what is
/// up to date and an interrupted run resumes. The demo is this workflow with a preset config.
/// </summary>
public sealed class RunWorkflow(RunConfig config, PipelineLog log)
{
    public const string MainArm = "main", CompareArm = "compare";

    private static string Yaml(object section) => ConfigWriter.ToYaml(section);

    public RunResult Run(string outputDirectory)
    {
        config.Validate();
        config.Input.Validate();
        var output = Path.GetFullPath(outputDirectory);
        var stages = new StageRunner(log);

        // Patches: the table as given, or the slide stage's tiles read straight from the slides.
        bool needLabels = config.Input.SimulateFollowUp || config.Finetune is { Enabled: true, Objective: FinetuneObjective.Patches };
        List<SlideFailure>? failures = config.Input.Slides is not null && config.Input.SkipErrors ? [] : null;
        var table = config.Input.LoadPatches(config.Tiling, Path.Combine(output, "tiles"), log, needLabels, failures);
        var patchesKey = config.Input.Slides is { } slides
            // The tile table is rewritten on every run: its content, not its time stamp, says whether the tiles changed.
            ? StageRunner.Key("tiles", StageRunner.Fingerprint(slides), config.Tiling.SettingsKey(), StageRunner.ContentHash(table.SourcePath))
            : StageRunner.Key("patches", StageRunner.Fingerprint(config.Input.Patches), needLabels.ToString());
        patchesKey = StageRunner.Key(patchesKey, config.Input.MaxPatients.ToString(CultureInfo.InvariantCulture));
        log.Info($"patches: {table.Patches.Count} from {table.PatientIds.Count} patients");

        // Follow-up: the cohort table, or simulated from the patients' real tumour burden.
        Cohort cohort;
        string cohortKey;
        if (config.Input.SimulateFollowUp)
        {
            var dir = Path.Combine(output, "cohort");
            cohortKey = StageRunner.Key("cohort", patchesKey, config.Seed.ToString(CultureInfo.InvariantCulture));
            stages.Run("simulate follow-up", dir, cohortKey, staging =>
                SemiSyntheticCohort.WriteCsv(SemiSyntheticCohort.Simulate(table, config.Seed), Path.Combine(staging, "cohort.csv")));
            cohort = Cohort.Load(Path.Combine(dir, "cohort.csv"), requireOutcome: true);
        }
        else
        {
            if (config.Input.Cohort is null) throw new UserInputException("input.cohort (--cohort) is required unless input.simulate_follow_up is true");
            cohort = Cohort.Load(config.Input.Cohort, requireOutcome: true);
            cohortKey = StageRunner.Key("cohort", StageRunner.Fingerprint(config.Input.Cohort));
        }
        cohort = config.Input.Restrict(cohort, table);
        var model = config.ResolvedModel;
        var modelled = PrognosisPipeline.WithPatches(cohort, table, config.Input.AllowMissing, log);
        // Every fold, or both parts of the split, against its minimum before anything is written.
        PatientSplit? split = null;
        if (config.Evaluation.Protocol == EvaluationProtocol.Crossval) CrossValidation.Folds(modelled, config.Crossval, model);
        else split = Split(modelled, model);
        // LibTorch loads only now: bad input fails in a fraction of a second, still before anything is written.
        var device = ComputeDevice.Resolve(config.Device);
        // Inputs read: from here on the folder holds a resumable run, described by its resolved config.
        Directory.CreateDirectory(output);
        config.Write(output);
        if (failures is not null)
        {
            CsvFile.Write(Path.Combine(output, "failures.csv"), ["manifest_row", "patient_id", "slide_path", "error"],
                failures.Select(f => new object?[] { f.Line, f.PatientId, f.SlidePath, f.Error }));
            if (failures.Count > 0) log.Info($"{failures.Count} slide(s) left out, listed in {Path.Combine(output, "failures.csv")}");
        }

        var arms = new List<(string Name, string Spec)> { (MainArm, config.Features.Backbone) };
        if (config.Features.CompareBackbone is { } other) arms.Add((CompareArm, other));
        int bootstrap = config.Evaluation.BootstrapSamples;
        var inputKey = StageRunner.Key(patchesKey, cohortKey, config.Input.AllowMissing.ToString());

        if (config.Evaluation.Protocol == EvaluationProtocol.Crossval)
        {
            var dir = Path.Combine(output, "crossval");
            var key = StageRunner.Key("crossval", inputKey, Yaml(config.Features), Yaml(config.Stain), Yaml(config.Model), Yaml(config.Crossval), Yaml(config.Evaluation), config.Seed.ToString(CultureInfo.InvariantCulture));
            stages.Run("cross-validation", dir, key, staging =>
                new CrossValidation(device, log).Run(cohort, FeatureSource.Of(table, config.Features, config.Stain, config.Seed), config.Crossval, model, config.Evaluation,
                    config.Features.CompareBackbone, staging, config.Input.AllowMissing));
            var crossval = JsonSerializer.Deserialize<CrossValidationResult>(File.ReadAllText(Path.Combine(dir, "crossval.json")), JsonDefaults.Options)!;
            return Finish(output, new RunResult(config.Report.Title, config.Evaluation.Protocol, config.Seed, crossval.Patients, crossval.Events,
                crossval.Patients, 0, [], null, crossval, Study(output, stages, inputKey, cohort, table, device)));
        }

        // Holdout: one stratified patient split, written down so every later stage (and a person) sees the same one.
        var splitDir = Path.Combine(output, "split");
        var splitKey = StageRunner.Key("split", inputKey, config.Evaluation.TestFraction.ToString("R", CultureInfo.InvariantCulture), config.Seed.ToString(CultureInfo.InvariantCulture));
        stages.Run("split", splitDir, splitKey, staging =>
            CsvFile.Write(Path.Combine(staging, "split.csv"), ["patient_id", "part"],
                split!.Train.Select(id => new object?[] { id, "train" }).Concat(split.Test.Select(id => new object?[] { id, "test" }))));
        var (trainIds, testIds) = ReadSplit(Path.Combine(splitDir, "split.csv"));
        var trainCohort = cohort.Subset(trainIds);
        var testCohort = cohort.Subset(testIds);

        var results = new List<RunArm>();
        var risks = new Dictionary<string, double[]>();
        foreach (var (name, spec) in arms)
        {
            var armDir = Path.Combine(output, name);
            string backbone = spec, armKey = StageRunner.Key(splitKey, spec);
            string? finetunedFrom = null;
            // The random twin trains every layer at one rate with the same step budget.
            var finetune = config.ResolvedFinetune with { Policy = BackboneFactory.IsPretrained(spec) ? config.Finetune.Policy : FinetunePolicy.Scratch };
            var modelDir = Path.Combine(armDir, "model");
            string modelKey;
            Action<string> predict; // writes risks.csv of the test patients into the folder it is handed
            if (config.Finetune is { Enabled: true, Objective: FinetuneObjective.Prognosis })
            {
                // End to end: the backbone learns from the follow-up through the MIL survival loss.
                var setup = new EndToEndSetup(finetune, model, config.Seed);
                var source = FeatureSource.Of(table, config.Features with { Backbone = spec }, config.Stain, config.Seed);
                modelKey = StageRunner.Key("end-to-end", armKey, Yaml(finetune), Yaml(config.Features with { Backbone = "", CompareBackbone = null }), Yaml(config.Stain),
                    Yaml(config.Model), config.Seed.ToString(CultureInfo.InvariantCulture));
                // Checkpoints outside the staging folder (which is per process), keyed by their settings inside.
                var checkpoints = Path.Combine(armDir, ".end-to-end-checkpoints");
                stages.Run($"{name}: train end to end ({ConfigNames.Value(finetune.Policy)})", modelDir, modelKey, staging =>
                    new EndToEndPipeline(device, log).Train(trainCohort, source, setup, staging, config.Input.AllowMissing, checkpoints).Dispose());
                if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
                finetunedFrom = spec;
                predict = staging => new EndToEndPipeline(device, log).Predict(modelDir, testCohort, table, Path.Combine(staging, "risks.csv"), config.Input.AllowMissing);
            }
            else
            {
                if (config.Finetune.Enabled)
                {
                    var dir = Path.Combine(armDir, "finetune");
                    // finetune.end_to_end is not used by patch fine-tuning: a change there must not redo this stage.
                    armKey = StageRunner.Key("finetune", armKey, Yaml(finetune with { EndToEnd = new() }), Yaml(config.Stain), config.Seed.ToString(CultureInfo.InvariantCulture));
                    var job = new FinetuneJobConfig(spec, config.Seed, finetune, config.Stain);
                    stages.RunInPlace($"{name}: fine-tune {spec} ({ConfigNames.Value(finetune.Policy)})", dir, armKey, folder =>
                        new FinetuneJob(job, device, log).Run(table.Subset(trainIds), null, folder));
                    finetunedFrom = spec;
                    backbone = dir;
                }
                var source = FeatureSource.Of(table, config.Features with { Backbone = backbone }, config.Stain, config.Seed);
                modelKey = StageRunner.Key("train", armKey, Yaml(config.Features with { Backbone = "", CompareBackbone = null }), Yaml(config.Stain), Yaml(config.Model), config.Seed.ToString(CultureInfo.InvariantCulture));
                stages.Run($"{name}: train", modelDir, modelKey, staging =>
                    new PrognosisPipeline(device, log).Train(trainCohort, source, model, staging, config.Input.AllowMissing).Dispose());
                predict = staging => new PrognosisPipeline(device, log).Predict(modelDir, testCohort, table, Path.Combine(staging, "risks.csv"), config.Features.Cache, config.Input.AllowMissing);
            }
            var predictDir = Path.Combine(armDir, "predict");
            var predictKey = StageRunner.Key("predict", modelKey);
            stages.Run($"{name}: predict", predictDir, predictKey, predict);
            if (name == MainArm && config.Finetune is not { Enabled: true, Objective: FinetuneObjective.Prognosis })
                DrawHeatmaps(output, stages, predictKey, modelDir, Path.Combine(predictDir, "risks.csv"), testCohort, table, device);
            var evaluationDir = Path.Combine(armDir, "evaluation");
            var evaluationKey = StageRunner.Key("evaluate", predictKey, Yaml(config.Evaluation));
            stages.Run($"{name}: evaluate", evaluationDir, evaluationKey, staging =>
                PrognosisEvaluation.Run(testCohort, Path.Combine(predictDir, "risks.csv"), staging, config.Evaluation, config.Seed, config.Model.HorizonMonths));
            var evaluation = JsonSerializer.Deserialize<PrognosisEvaluationResult>(File.ReadAllText(Path.Combine(evaluationDir, "results.json")), JsonDefaults.Options)!;
            results.Add(new RunArm(name, spec, finetunedFrom, evaluation));
            risks[name] = PrognosisEvaluation.ReadRisks(Path.Combine(predictDir, "risks.csv"), testCohort).Risk;
        }

        BackboneComparison? comparison = null;
        if (risks.ContainsKey(CompareArm))
            comparison = CrossValidation.Compare($"{ConfigNames.Value(config.Model.Aggregator)} {config.Features.Backbone} − {config.Features.CompareBackbone}", "image",
                testCohort.Time, testCohort.Events, risks[MainArm], risks[CompareArm], bootstrap, config.Seed + 37, config.Evaluation.MinDefinedShare);
        return Finish(output, new RunResult(config.Report.Title, config.Evaluation.Protocol, config.Seed, trainCohort.Patients.Count + testCohort.Patients.Count,
            trainCohort.Events.Count(e => e) + testCohort.Events.Count(e => e), trainCohort.Patients.Count, testCohort.Patients.Count, results, comparison, null,
            Study(output, stages, inputKey, cohort, table, device)));
    }

    /// <summary>
    /// The prognosis-transfer study (<c>study.enabled</c>) on the run's whole cohort, with its own test split and
    /// training draws, into <c>prognosis-transfer/</c>: a stage like the others, resumed from its finished runs.
    /// </summary>
    private PrognosisTransferSummary? Study(string output, StageRunner stages, string inputKey, Cohort cohort, PatchTable table, TorchSharp.torch.Device device)
    {
        if (!config.Study.Enabled) return null;
        var dir = Path.Combine(output, "prognosis-transfer");
        var key = StageRunner.Key("prognosis-transfer", inputKey, Yaml(config.Study), Yaml(config.Features with { CompareBackbone = null }), Yaml(config.Stain),
            Yaml(config.Finetune), Yaml(config.Model), Yaml(config.Evaluation), config.Seed.ToString(CultureInfo.InvariantCulture));
        stages.RunInPlace("prognosis-transfer study", dir, key, folder =>
        {
            using var staged = new OutputFolder(folder);
            new PrognosisTransferStudy(config.Study, config, device, log).Run(cohort, table, staged);
        });
        return PrognosisTransferStudy.ReadSummary(dir);
    }

    /// <summary>
    /// The report's heatmaps (<c>report.heatmap_patients</c>): the main arm's test patients of highest and lowest
    /// predicted risk, drawn from the features the prediction cached. Patches without positions have no map: said in
    /// the log, not an error, since the run's results do not depend on it.
    /// </summary>
    private void DrawHeatmaps(string output, StageRunner stages, string predictKey, string modelDir, string risksPath, Cohort testCohort, PatchTable table,
        TorchSharp.torch.Device device)
    {
        int count = config.Report.HeatmapPatients;
        if (count == 0) return;
        if (table.Patches.Any(p => p.X is null || p.Y is null))
        {
            log.Info($"heatmaps: none, {table.SourcePath} has no patch positions (x, y)");
            return;
        }
        var risk = PrognosisEvaluation.ReadRisks(risksPath, testCohort).Risk;
        var order = Enumerable.Range(0, risk.Length).OrderByDescending(i => risk[i]).ThenBy(i => testCohort.Patients[i].PatientId, StringComparer.Ordinal).ToList();
        var chosen = order.Take((count + 1) / 2).Concat(Enumerable.Reverse(order).Take(count / 2)).Distinct()
            .Select(i => testCohort.Patients[i].PatientId).ToList();
        var key = StageRunner.Key("heatmaps", predictKey, Yaml(config.Report.Heatmaps), count.ToString(CultureInfo.InvariantCulture));
        stages.Run($"{MainArm}: heatmaps", Path.Combine(output, HeatmapSection.Folder), key, staging =>
            HeatmapRenderer.Run(modelDir, table, config.Features.Cache, staging, config.Report.Heatmaps, log, device, chosen,
                new SlideOpenOptions { Backend = config.Tiling.Backend, MppOverride = config.Tiling.SlideMpp }, config.Tiling.Tissue));
    }

    /// <summary>The holdout split (stratified by event), its training part checked against the model's minimum and its test part against the evaluation's.</summary>
    private PatientSplit Split(Cohort cohort, PrognosisConfig model)
    {
        var events = cohort.Patients.ToDictionary(p => p.PatientId, p => p.Event == true);
        var split = PatientSplit.Create(cohort.Patients.Select(p => p.PatientId).ToList(), 0, config.Evaluation.TestFraction, config.Seed, id => events[id] ? 1 : 0, cohort.SourcePath);
        var (train, test) = (cohort.Subset(split.Train), cohort.Subset(split.Test));
        model.TrainingMinimum().Check($"{cohort.SourcePath}: holdout split, training part", train.Time, train.Events);
        config.Evaluation.Minimum().Check($"{cohort.SourcePath}: holdout split, test part", test.Time, test.Events);
        return split;
    }

    private RunResult Finish(string output, RunResult result)
    {
        AtomicFile.WriteAllText(Path.Combine(output, "results.json"), JsonSerializer.Serialize(result, JsonDefaults.Options));
        AtomicFile.WriteAllText(Path.Combine(output, "summary.md"), RunSummary.Markdown(result, config));
        // The model card completed with the test metrics, then the page that shows it all (both read what was just written).
        ModelCardFile.Write(output, RunModelCard.Build(result, config, output));
        HtmlReport.Write(output);
        log.Info($"wrote {Path.Combine(output, "results.json")}, summary.md, {ModelCardFile.MarkdownName} and {HtmlReport.FileName}");
        return result;
    }

    private static (List<string> Train, List<string> Test) ReadSplit(string path)
    {
        var table = CsvTable.Read(path);
        int id = table.RequireColumn("patient_id"), part = table.RequireColumn("part");
        var rows = Enumerable.Range(0, table.Rows.Count).Select(r => (Id: table.Text(r, id), Part: table.Text(r, part))).ToList();
        return (rows.Where(r => r.Part == "train").Select(r => r.Id).ToList(), rows.Where(r => r.Part == "test").Select(r => r.Id).ToList());
    }
}
