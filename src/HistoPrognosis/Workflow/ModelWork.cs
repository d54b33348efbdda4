using System.Text;
using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Heatmaps;
using HistoPrognosis.IO;
using HistoPrognosis.Mil;
using HistoPrognosis.Slides;
using HistoPrognosis.Studies;
using HistoPrognosis.Training.EndToEnd;
using HistoPrognosis.Work;
using static TorchSharp.torch;

namespace HistoPrognosis.Workflow;

/// <summary>
/// The model stages of <c>histoprog work</c> for one worker: a saved MIL model (<c>histoprog train</c>) applied to
/// each unit's cached features, never extracting. <b>predict</b> writes the patient's row of <c>risks.csv</c> to
/// <c>DIR/predict/units/UNIT.csv</c> (the columns and number formatting of <see cref="PrognosisPipeline.WriteRisks"/>),
/// merged into <c>DIR/predict/risks.csv</c> once every unit's predict is done (<see cref="MergeRisks"/>);
/// <b>heatmap</b> draws the patient's maps with <see cref="HeatmapRenderer"/> and the run config's
/// <c>report.heatmaps</c> into <c>DIR/patient-heatmaps/UNIT/</c> (not <c>DIR/heatmaps</c>, the folder of
/// <c>histoprog run</c>'s report stage, which replaces it whole). Everything that can be wrong with the model (an
/// end-to-end model, features of another backbone, clinical covariates without a cohort, another model in this
/// folder) is refused in <see cref="Open"/>, before any work.
/// </summary>
public sealed class ModelWork : IDisposable
{
    public const string PredictFolderName = "predict", UnitsFolderName = "units", RisksName = "risks.csv", HeatmapsFolderName = "patient-heatmaps";

    private readonly RunConfig _config;
    private readonly string _modelDir;
    private readonly IReadOnlyList<WorkStage> _stages;
    private readonly string _modelHash;
    private WorkFolder? _pinned;
    private readonly IReadOnlyList<WorkUnit> _units;
    private readonly Cohort? _cohort;
    private readonly Device _device;
    private readonly PipelineLog _log;
    private readonly PrognosisModel? _model;
    private readonly FeatureCache _cache;

    private ModelWork(RunConfig config, string modelDir, PrognosisManifest manifest, IReadOnlyList<WorkStage> stages, string modelHash, IReadOnlyList<WorkUnit> units,
        Cohort? cohort, PrognosisModel? model, Device device, PipelineLog log)
    {
        (_config, _modelDir, Manifest, _stages, _modelHash, _units, _cohort, _model, _device, _log) = (config, modelDir, manifest, stages, modelHash, units, cohort, model, device, log);
        _cache = new FeatureCache(config.Features.Cache!, log);
    }

    public PrognosisManifest Manifest { get; }

    private WorkFolder Pinned => _pinned ?? throw new InvalidOperationException("ModelWork.Pin first");

    public static string PredictFolder(string output) => Path.Combine(Path.GetFullPath(output), PredictFolderName);

    public static string RisksPath(string output) => Path.Combine(PredictFolder(output), RisksName);

    public static string UnitRisksPath(string output, string unit) => Path.Combine(PredictFolder(output), UnitsFolderName, WorkFolder.UnitFile(unit) + ".csv");

    public static string HeatmapFolder(string output, string unit) => Path.Combine(Path.GetFullPath(output), HeatmapsFolderName, WorkFolder.UnitFile(unit));

    /// <summary>
    /// Checks the model against the work (before the folder is touched) and loads it; <see cref="Pin"/> then binds
    /// it to the folder.
    /// </summary>
    /// <param name="extracted">the feature settings this config extracts, which the model must have been trained on</param>
    public static ModelWork Open(string modelDirectory, RunConfig config, IReadOnlyList<WorkStage> stages, IReadOnlyList<WorkUnit> units,
        FeatureSettings extracted, Device device, PipelineLog log)
    {
        var modelDir = Path.GetFullPath(modelDirectory);
        if (!Directory.Exists(modelDir)) throw new UserInputException($"--model: {modelDir} does not exist");
        if (EndToEndModelFile.IsModelDirectory(modelDir))
            throw new UserInputException($"{modelDir}: an end-to-end model; histoprog work's predict and heatmap stages read the cached frozen features of a MIL model " +
                                         "(histoprog train). Predict an end-to-end model with histoprog predict");
        var manifest = PrognosisModelFile.ReadManifest(modelDir);
        if (manifest.Features.Key != extracted.Key)
            throw new UserInputException($"{modelDir}: the model was trained on features of backbone '{manifest.Features.Backbone}' ({manifest.Features.ImageSize} px, " +
                                         $"{manifest.Features.Engine}, feature key {manifest.Features.Key}), but this config's features are '{extracted.Backbone}' ({extracted.ImageSize} px, " +
                                         $"{extracted.Engine}, key {extracted.Key}); set features (backbone, image_size, engine) and stain as the model was trained");
        Cohort? cohort = null;
        if (stages.Contains(WorkStage.Predict) && config.Input.Cohort is { } cohortPath)
        {
            cohort = Cohort.Load(cohortPath, requireOutcome: false);
            var inManifest = units.Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
            var missing = cohort.Patients.Where(p => !inManifest.Contains(p.PatientId)).ToList();
            if (missing.Count > 0)
            {
                var names = string.Join(", ", missing.Take(10).Select(p => $"{p.PatientId} (row {p.Line})")) + (missing.Count > 10 ? ", …" : "");
                if (!config.Input.AllowMissing)
                    throw new UserInputException($"{cohort.SourcePath}: {missing.Count} patient(s) have no slides in {config.Input.Slides}: {names}; pass --allow-missing to skip them");
                log.Info($"predict: skipping {missing.Count} cohort patient(s) without slides: {names}");
                cohort = cohort.Subset(cohort.Patients.Select(p => p.PatientId).Where(inManifest.Contains));
            }
        }
        if (stages.Contains(WorkStage.Predict) && manifest.Clinical.Width > 0 && cohort is null)
            throw new UserInputException($"{modelDir}: the model fuses clinical covariates ({string.Join(", ", manifest.Config.Clinical)}); give the cohort with them (--cohort or input.cohort)");
        if (stages.Contains(WorkStage.Heatmap)) config.Report.Heatmaps.Validate();

        var modelHash = StageRunner.Key("model", StageRunner.ContentHash(Path.Combine(modelDir, PrognosisModelFile.ManifestName)),
            StageRunner.ContentHash(Path.Combine(modelDir, PrognosisModelFile.WeightsName)));
        var model = stages.Contains(WorkStage.Predict) ? PrognosisModelFile.Load(modelDir, device).Model : null;
        return new ModelWork(config, modelDir, manifest, stages, modelHash, units, cohort, model, device, log);
    }

    /// <summary>
    /// Pins the model stages' settings in the folder (<see cref="WorkFolder.OpenStage"/>): the model's hash
    /// (model.json and its weights) enters each stage's key, with the cohort for predict when the model reads
    /// clinical covariates and <c>report.heatmaps</c> for heatmap, so a folder written with another model is refused.
    /// </summary>
    public void Pin(WorkFolder folder)
    {
        bool clinical = Manifest.Clinical.Width > 0;
        if (_stages.Contains(WorkStage.Predict))
            folder.OpenStage(WorkStage.Predict, StageRunner.Key("predict", _modelHash,
                    // Covariates change a row; without them a patient's row is the model's on its features alone.
                    clinical ? StageRunner.ContentHash(_cohort!.SourcePath) : "-"),
                $"model {_modelDir}" + (clinical ? $" and cohort {_cohort!.SourcePath}" : ""));
        if (_stages.Contains(WorkStage.Heatmap))
            folder.OpenStage(WorkStage.Heatmap, StageRunner.Key("heatmap", _modelHash, ConfigWriter.ToYaml(_config.Report.Heatmaps)),
                $"model {_modelDir} and these report.heatmaps settings");
        _pinned = folder;
    }

    /// <summary>
    /// The unit's rows of risks.csv, from its cached features: every patient of the manifest when the model is
    /// image-only (the merge picks the cohort's), the cohort's only when it reads covariates.
    /// </summary>
    public bool Predict(WorkUnit unit, PatchTable table)
    {
        var path = UnitRisksPath(Pinned.Output, unit.Id);
        Cohort? one = _cohort?.Subset([unit.Id]);
        if (_model!.Clinical.Width > 0 && one!.Patients.Count == 0)
        {
            if (File.Exists(path)) File.Delete(path);
            return false; // not in the cohort: no row
        }
        var features = _cache.ReadCached(table, [unit.Id], Manifest.Features)[0];
        var clinical = one is { Patients.Count: 1 } ? _model.Clinical.Encode(one) : [new float[_model.Clinical.Width]];
        var predictions = _model.Predict([new PatientBag(unit.Id, features.Features)], clinical);
        PrognosisPipeline.RequireFinite(predictions, _modelDir);
        PrognosisPipeline.WriteRisks(path, predictions, _model.Head.CurveMonths());
        return false;
    }

    /// <summary>The unit's attention and risk maps, staged and committed whole into its own folder.</summary>
    public bool Heatmap(WorkUnit unit, PatchTable table)
    {
        HeatmapRenderer.Run(_modelDir, table, _config.Features.Cache, HeatmapFolder(Pinned.Output, unit.Id), _config.Report.Heatmaps, _log, _device, [unit.Id],
            new SlideOpenOptions { Backend = _config.Tiling.Backend, MppOverride = _config.Tiling.SlideMpp }, _config.Tiling.Tissue);
        return false;
    }

    /// <summary>
    /// Writes <c>DIR/predict/risks.csv</c> when every unit's predict is done: the cohort's patients in cohort order
    /// (the order of <c>histoprog predict</c>), or without a cohort the manifest's, their rows copied byte for byte
    /// from the units' files, so the file is the bytes <c>histoprog predict</c> writes for the same model and
    /// features. Returns its path, or null while units are left (failed ones included).
    /// <para>
    /// The rule that makes this race-free without a lock: every worker calls it after its own share is settled, and
    /// the merge is a pure function of the units' files, each written before its done record and not rewritten once
    /// that record exists (a worker that lost its claim may redo a unit, but to the same bytes). So the worker that
    /// settles last always sees every unit done, and any workers merging at once write the same bytes through a
    /// temporary file and a rename: whichever rename lands last, the file is whole and the same. An unchanged file is
    /// not rewritten, so rerunning a finished folder leaves it as it was. The cohort job and <c>histoprog status</c>
    /// need not merge.
    /// </para>
    /// </summary>
    public string? MergeRisks()
    {
        int left = _units.Count(u => !Pinned.IsDone(WorkStage.Predict, u.Id));
        if (left > 0)
        {
            _log.Info($"predict: {RisksPath(Pinned.Output)} waits for {left} patient(s) whose predict is not done (failed ones are in {Pinned.FailuresCsv}; a rerun retries them)");
            return null;
        }
        var ids = _cohort is not null ? _cohort.Patients.Select(p => p.PatientId).ToList() : _units.Select(u => u.Id).ToList();
        byte[]? header = null;
        using var merged = new MemoryStream();
        foreach (var id in ids)
        {
            var path = UnitRisksPath(Pinned.Output, id);
            if (!File.Exists(path))
                throw new UserInputException($"{path}: patient {id}'s predict is recorded done but its rows are missing; delete {Path.Combine(Pinned.Root, "predict", "done", WorkFolder.UnitFile(id) + ".json")} and rerun to predict it again");
            var bytes = File.ReadAllBytes(path);
            int end = Array.IndexOf(bytes, (byte)'\n') + 1;
            if (end == 0) throw new InvalidDataException($"{path}: no header line");
            if (header is null) merged.Write(header = bytes[..end]);
            else if (!bytes.AsSpan(0, end).SequenceEqual(header))
                throw new InvalidDataException($"{path}: its columns differ from the other patients' ({Encoding.UTF8.GetString(bytes, 0, end).Trim()} vs {Encoding.UTF8.GetString(header).Trim()})");
            merged.Write(bytes, end, bytes.Length - end);
        }
        var risks = RisksPath(Pinned.Output);
        var all = merged.ToArray();
        if (!File.Exists(risks) || !File.ReadAllBytes(risks).AsSpan().SequenceEqual(all)) AtomicFile.WriteAllBytes(risks, all);
        _log.Info($"predict: {ids.Count} patients → {risks}");
        return risks;
    }

    public void Dispose() => _model?.Dispose();
}
