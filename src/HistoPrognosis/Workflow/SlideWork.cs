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

/// <summary>What one <c>histoprog work</c> process did.</summary>
public sealed record SlideWorkResult(WorkerSummary Summary, FeatureSettings Settings, string FeatureFolder, WorkShard Shard);

/// <summary>
/// The per-slide stages of a run config (tile, extract) as one worker over a shared output folder: the same folders
/// <c>histoprog run</c> uses (<c>DIR/tiles/NNNN-slide</c>, features in the cache, by default <c>DIR/features</c>), so
/// a later <c>run</c> (the cohort stages) reuses every slide's outputs. A unit is a patient — their slides are tiled
/// and their features extracted together, under one claim — and is extracted on its own, so a patient's features are
/// the same bytes whichever worker, and however many, made them.
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

    public SlideWorkResult Run(WorkShard shard, TimeSpan staleAfter, Device device)
    {
        var manifest = config.Input.Slides ?? throw new UserInputException("histoprog work needs a slide manifest: input.slides (--slides)");
        config = ForFolder(config, output);
        config.Tiling.Validate();
        var entries = SlideManifest.Load(manifest);
        // Units in the manifest's patient order: a static share is the same whichever worker computes it.
        var byPatient = entries.Select((e, i) => (Entry: e, Index: i)).GroupBy(x => x.Entry.PatientId, StringComparer.Ordinal).ToList();
        var units = byPatient.Select(g => new WorkUnit(g.Key, g.Select(x => x.Entry.SlidePath).ToList())).ToList();
        var rowsOf = byPatient.ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var folder = WorkFolder.Open(output, SettingsKey(config), units.Count);
        var tiles = TilesFolder(config, output);

        using var backbone = BackboneFactory.Create(config.Features.Backbone, config.Seed);
        backbone.to(device);
        var (stain, stainKey) = config.Stain.Create();
        var settings = FeatureSettings.Of(config.Features.Backbone, backbone, config.Features.ImageSize, device, config.Features.Engine, stainKey);
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

        bool Extract(WorkUnit unit)
        {
            var rows = new List<object?[]>();
            int slideIndex = 0;
            foreach (var (result, index, entry) in TileUnit(unit).Slides)
                rows.AddRange(SlideManifest.PatchRows(tiles, index, entry, CoordinatesFile.Read(result.H5!), config.Tiling, slideIndex++));
            if (rows.Count == 0) throw new UserInputException($"{manifest}: patient {unit.Id}: no slide produced a tissue tile at {config.Tiling.TargetMpp} µm/px, {config.Tiling.TileSize} px");
            // The patient's own patch table, beside the slide folders (relative tile paths resolve against it).
            var table = Path.Combine(tiles, $".patches-{WorkFolder.UnitFile(unit.Id)}.csv");
            IO.CsvFile.Write(table, SlideManifest.PatchColumns, rows);
            int before = cache.Extracted;
            cache.Get(PatchTable.Load(table, requireLabel: false), [unit.Id], lazy, settings, device, stain);
            return cache.Extracted == before;
        }

        var worker = new SlideWorker(folder, staleAfter, log);
        var summary = worker.Run(units, shard, [new WorkStep(WorkStage.Tile, u => TileUnit(u).Reused), new WorkStep(WorkStage.Extract, Extract)]);
        return new SlideWorkResult(summary, settings, cache.FolderFor(settings), shard);
    }
}
