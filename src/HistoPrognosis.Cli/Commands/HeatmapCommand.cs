using System.CommandLine;
using HistoPrognosis.Configuration;
using HistoPrognosis.Heatmaps;
using HistoPrognosis.Models;
using HistoPrognosis.Slides;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog heatmap</c>: per-tile attention and risk of a saved model, drawn per slide and written for QuPath.</summary>
public static class HeatmapCommand
{
    public static Command Create()
    {
        var defaults = new HeatmapConfig();
        var options = new RunConfigOptions(ConfigFlags.Patches | ConfigFlags.Tiling | ConfigFlags.Compute);
        var model = new Option<string>("--model") { Description = "model directory written by histoprog train", Required = true };
        var cache = new Option<string?>("--feature-cache") { Description = "feature cache folder (default ~/.local/share/histoprog/features); features are read, never extracted" };
        var output = new Option<string>("--out") { Description = "output folder: PATIENT/SLIDE/{tiles.csv, risk.png, attention.png, gallery-*.png, tiles.geojson}, heatmaps.csv", Required = true };
        var patient = new Option<string[]>("--patient") { Description = "only this patient (repeatable; default every patient of the table)", AllowMultipleArgumentsPerToken = true };
        var colorMap = new Option<string?>("--colormap") { Description = $"{ConfigNames.Choices<ColorMapKind>()} (default {ConfigNames.Value(defaults.ColorMap)})" };
        var alpha = new Option<double?>("--alpha") { Description = $"overlay opacity, 0–1 (default {defaults.Alpha})" };
        var blur = new Option<double?>("--blur") { Description = $"Gaussian blur σ in tile sides, 0 = none (default {defaults.BlurSigmaTiles})" };
        var noClip = new Option<bool>("--no-clip") { Description = "colour tiles over background too (default: tissue only)" };
        var maxSide = new Option<int?>("--max-side") { Description = $"longest side of thumbnail and overlay, px (default {defaults.MaxSide})" };
        var topK = new Option<int?>("--top-k") { Description = $"tiles per gallery row (highest and lowest; default {defaults.TopK})" };
        var noGeoJson = new Option<bool>("--no-geojson") { Description = "skip the QuPath GeoJSON" };
        var command = new Command("heatmap", "attention and risk heatmaps of a saved model from cached features: PNG figures, tile galleries, tiles.csv and QuPath GeoJSON per slide")
            { model, cache, output, patient, colorMap, alpha, blur, noClip, maxSide, topK, noGeoJson };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Bind(parse);
            if (parse.GetValue(cache) is { } c) config = config with { Features = config.Features with { Cache = Path.GetFullPath(c) } };
            var heatmaps = config.Report.Heatmaps; // the run config's report.heatmaps, then the flags
            if (parse.GetValue(colorMap) is { } cm) heatmaps = heatmaps with { ColorMap = ConfigNames.Parse<ColorMapKind>(cm, "--colormap") };
            if (parse.GetValue(alpha) is { } a) heatmaps = heatmaps with { Alpha = a };
            if (parse.GetValue(blur) is { } b) heatmaps = heatmaps with { BlurSigmaTiles = b };
            if (parse.GetValue(noClip)) heatmaps = heatmaps with { ClipToTissue = false };
            if (parse.GetValue(maxSide) is { } m) heatmaps = heatmaps with { MaxSide = m };
            if (parse.GetValue(topK) is { } k) heatmaps = heatmaps with { TopK = k };
            if (parse.GetValue(noGeoJson)) heatmaps = heatmaps with { GeoJson = false };
            heatmaps.Validate();
            var log = PipelineLog.Console;
            var modelDir = Path.GetFullPath(parse.GetValue(model)!);
            if (!Directory.Exists(modelDir)) throw new UserInputException($"--model: {modelDir} does not exist");
            var table = RunInputs.Patches(config, log);
            var chosen = parse.GetValue(patient) is { Length: > 0 } ids ? ids : null;
            var summary = HeatmapRenderer.Run(modelDir, table, config.Features.Cache, parse.GetValue(output)!, heatmaps, log,
                ComputeDevice.Resolve(config.Device), chosen,
                new SlideOpenOptions { Backend = config.Tiling.Backend, MppOverride = config.Tiling.SlideMpp }, config.Tiling.Tissue);
            if (summary.Note is not null) parse.InvocationConfiguration.Output.WriteLine($"note: {summary.Note}");
            parse.InvocationConfiguration.Output.WriteLine($"{summary.Slides.Count} slide heatmap(s) → {summary.Folder}");
            return 0;
        });
        return command;
    }
}
