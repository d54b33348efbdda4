using TorchSharp;
using System.Globalization;
using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Models;
using HistoPrognosis.Tiling;
using HistoPrognosis.Work;
using static TorchSharp.torch;

namespace HistoPrognosis.Workflow;

/// <summary>What one <c>histoprog work</c> process did; <see cref="Risks"/> is the merged risks.csv once every unit's predict is done.</summary>
public sealed record SlideWorkResult(WorkerSummary Summary, FeatureSettings Settings, string FeatureFolder, WorkShard Shard, IReadOnlyList<WorkStage> Stages,
    string? Risks = null);

/// <summary>
/// The per-slide stages of a run config (tile, extract) as one worker over a shared output folder: the same folders
/// <c>histoprog run</c> uses (<c>DIR/tiles/NNNN-slide</c>, features in the cache, by default <c>DIR/features</c>), so
/// a later <c>run</c> (the cohort stages) reuses every slide's outputs. A unit is a patient — their slides are tiled
/// and their features extracted together, under one claim — and is extracted on its own, so a patient's features are
/// the same bytes whichever worker, and however many, made them. Given a saved MIL model, the model stages
/// (predict, heatmap; <see cref="ModelWork"/>) follow on each unit's cached features under the same claim.
/// </summary>
public sealed class SlideWork(RunConfig config, string output, PipelineLog log)
{
    /// <summary>Where <c>run</c> tiles: input.tiles, else <c>DIR/tiles</c>.</summary>
    public static string TilesFolder(RunConfig config, string output) => config.Input.Tiles ?? Path.Combine(Path.GetFullPath(output), "tiles");

    public static string DefaultFeatureCache(string output) => Path.Combine(Path.GetFullPath(output), "features");

    /// <summary>The config as the workers and the cohort job use it: the feature cache inside the output folder unless the config names one.</summary>
    public static RunConfig ForFolder(RunConfig config, string output) =>
        config.Features.Cache is null ? config with { Features = config.Features with { Cache = DefaultFeatureCache(output) } } : config;

    /// <summary>The key of everything that decides the per-slide outputs: a folder written under another is refused.</summary>
    public static string SettingsKey(RunConfig config) => Workflow.StageRunner.Key("per-slide",
        Workflow.StageRunner.ContentHash(config.Input.Slides!), config.Tiling.SettingsKey(), ConfigWriter.ToYaml(config.Features with { CompareBackbone = null }),
        ConfigWriter.ToYaml(config.Stain), config.Seed.ToString(CultureInfo.InvariantCulture));

    /// <param name="stages">the stages to run (default tile and extract; <see cref="WorkStages.Parse"/>)</param>
    /// <param name="model">a model folder of <c>histoprog train</c>, for the predict and heatmap stages</param>
    public SlideWorkResult Run(WorkShard shard, TimeSpan staleAfter, Device device, IReadOnlyList<WorkStage>? stages = null, string? model = null)
    {
        stages ??= WorkStages.Parse(null, model is not null);
        if (stages.Any(s => s.NeedsModel()) && model is null) throw new UserInputException("the predict and heatmap stages need --model MODEL_DIR");
        var manifest = config.Input.Slides ?? throw new UserInputException("histoprog work needs a slide manifest: input.slides (--slides)");
        config = ForFolder(config, output);
        config.Tiling.Validate();
        var entries = SlideManifest.Load(manifest);
        // Units in the manifest's patient order: a static share is the same whichever worker computes it.
        var byPatient = entries.Select((e, i) => (Entry: e, Index: i)).GroupBy(x => x.Entry.PatientId, StringComparer.Ordinal).ToList();
        var units = byPatient.Select(g => new WorkUnit(g.Key, g.Select(x => x.Entry.SlidePath).ToList())).ToList();
        var rowsOf = byPatient.ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var tiles = TilesFolder(config, output);

        using var backbone = BackboneFactory.Create(config.Features.Backbone, config.Seed);
        backbone.to(device);
        var (stain, stainKey) = config.Stain.Create();
        var settings = FeatureSettings.Of(config.Features.Backbone, backbone, config.Features.ImageSize, device, config.Features.Engine, stainKey);
        // The model is checked before the folder is touched; its stages' settings are pinned once the folder is open.
        using var models = model is null ? null : ModelWork.Open(model, config, stages, units, settings, device, log);
        var folder = WorkFolder.Open(output, SettingsKey(config), units.Count);
        models?.Pin(folder);
        var cache = new FeatureCache(config.Features.Cache!, log);
        var lazy = new Lazy<Backbone>(() => backbone);

        // Tiles every slide of the patient (a finished slide folder is reused); true when all were reused.
        (bool Reused, List<(SlideTilingResult Result, int Index, SlideEntry Entry)> Slides) TileUnit(WorkUnit unit)
        {
            var done = new List<(SlideTilingResult, int, SlideEntry)>();
            bool reused = true;
            foreach (var (entry, index) in rowsOf[unit.Id])
            {
                try
                {
                    var result = SlideTiler.TileSlide(entry.SlidePath, SlideManifest.SlideFolder(tiles, index, entry), config.Tiling with { SlideMpp = entry.Mpp ?? config.Tiling.SlideMpp });
                    reused &= result.Resumed;
                    done.Add((result, index, entry));
                }
                catch (Exception ex) when (ex is UserInputException or InvalidDataException or IOException)
                {
                    throw new UserInputException($"{manifest}, row {entry.Line} ({entry.SlidePath}): {ex.Message}", ex);
                }
            }
            return (reused, done);
        }

        // The patient's own patch table (its slides' tiles, reused), beside the slide folders (relative tile paths
        // resolve against it); kept for the unit's later stages.
        (string Unit, PatchTable Table)? last = null;
        PatchTable UnitTable(WorkUnit unit)
        {
            if (last is { } l && l.Unit == unit.Id) return l.Table;
            var rows = new List<object?[]>();
            int slideIndex = 0;
            foreach (var (result, index, entry) in TileUnit(unit).Slides)
                rows.AddRange(SlideManifest.PatchRows(tiles, index, entry, CoordinatesFile.Read(result.H5!), config.Tiling, slideIndex++));
            if (rows.Count == 0) throw new UserInputException($"{manifest}: patient {unit.Id}: no slide produced a tissue tile at {config.Tiling.TargetMpp} µm/px, {config.Tiling.TileSize} px");
            var path = Path.Combine(tiles, $".patches-{WorkFolder.UnitFile(unit.Id)}.csv");
            IO.CsvFile.Write(path, SlideManifest.PatchColumns, rows);
            var table = PatchTable.Load(path, requireLabel: false);
            last = (unit.Id, table);
            return table;
        }

        bool Extract(WorkUnit unit)
        {
            int before = cache.Extracted;
            cache.Get(UnitTable(unit), [unit.Id], lazy, settings, device, stain);
            return cache.Extracted == before;
        }

        // A model stage reads the features the extract stage made: without that stage here, it must be done already.
        PatchTable Extracted(WorkUnit unit) =>
            stages.Contains(WorkStage.Extract) || folder.IsDone(WorkStage.Extract, unit.Id) ? UnitTable(unit)
                : throw new UserInputException($"patient {unit.Id}: its features are not extracted yet (the extract stage is not done in {folder.Output}); add extract to --stages");

        var all = new Dictionary<WorkStage, WorkStep>
        {
            [WorkStage.Tile] = new(WorkStage.Tile, u => TileUnit(u).Reused),
            [WorkStage.Extract] = new(WorkStage.Extract, Extract),
            [WorkStage.Predict] = new(WorkStage.Predict, u => models!.Predict(u, Extracted(u))),
            [WorkStage.Heatmap] = new(WorkStage.Heatmap, u => models!.Heatmap(u, Extracted(u))),
        };
        var worker = new SlideWorker(folder, staleAfter, log);
        var summary = worker.Run(units, shard, stages.Select(s => all[s]).ToList());
        var risks = stages.Contains(WorkStage.Predict) ? models!.MergeRisks() : null;
        return new SlideWorkResult(summary, settings, cache.FolderFor(settings), shard, stages, risks);
    }
}
