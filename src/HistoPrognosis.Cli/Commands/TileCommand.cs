using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Cli.Commands;

/// <summary>
/// <c>histoprog tile PATH... --out DIR --mpp X --size N [--json]</c>: tissue tiles at a target µm/px into CLAM-layout
/// coordinate files; resumes a batch (finished slides with the same settings are skipped).
/// </summary>
public static class TileCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Slide files (or DICOM folders)", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out") { Description = "Output folder for <slide>.h5, <slide>.mask.png, <slide>.tissue.geojson", Required = true };
        var workers = new Option<int?>("--workers") { Description = "Parallel tile readers (default: the processor count)" };
        var json = new Option<bool>("--json") { Description = "Print JSON: {slides: [{path, tiles, dropped: {reason: count}, seconds, h5}]}" };
        var shard = ShardOption.Create("slides");
        var tiling = new RunConfigOptions(ConfigFlags.Tiling);
        var command = new Command("tile", "Detect tissue and tile slides at a target µm/px (CLAM-compatible coordinates; the tiling section of a run config)")
        {
            paths, outDir, workers, json, shard,
        };
        tiling.AddTo(command);
        command.SetAction(parse =>
        {
            var config = tiling.Bind(parse);
            config.Tiling.Validate();
            var options = config.Tiling with { Workers = Math.Max(1, parse.GetValue(workers) ?? config.Tiling.Workers) };
            var files = parse.GetValue(paths)!;
            bool asJson = parse.GetValue(json);
            var bar = Console.IsErrorRedirected ? null : new ProgressBar();
            var share = ShardOption.Parse(parse.GetValue(shard));
            var results = SlideTiler.RunBatch(files, parse.GetValue(outDir)!, options, bar, include: share.Includes);
            bar?.Finish();
            if (asJson) Console.WriteLine(ToJson(results).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            else
                foreach (var r in results.Where(r => r.Error is null))
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{r.Path}: {r.Tiles} tiles{(r.Resumed ? " (already done)" : "")}, dropped {string.Join(", ", r.Dropped.Select(d => $"{d.Key} {d.Value}"))}, {r.Seconds:0.0} s -> {r.H5}"));
            foreach (var r in results.Where(r => r.Error is not null)) Console.Error.WriteLine($"error: {r.Error}");
            return results.Any(r => r.Error is not null) ? 2 : 0;
        });
        return command;
    }

    /// <summary>The stable JSON of a batch: <c>{"slides": [{path, tiles, dropped, seconds, h5, ...}]}</c>.</summary>
    public static JsonObject ToJson(IEnumerable<SlideTilingResult> results)
    {
        var slides = new JsonArray();
        foreach (var r in results)
        {
            var dropped = new JsonObject();
            foreach (var (k, v) in r.Dropped) dropped[k] = v;
            var o = new JsonObject
            {
                ["path"] = r.Path,
                ["tiles"] = r.Tiles,
                ["dropped"] = dropped,
                ["seconds"] = Math.Round(r.Seconds, 3),
                ["h5"] = r.H5,
                ["mask_png"] = r.MaskPng,
                ["geojson"] = r.GeoJson,
                ["level"] = r.Level,
                ["effective_mpp"] = r.Error is null ? Math.Round(r.EffectiveMpp, 6) : null,
                ["resumed"] = r.Resumed,
            };
            if (r.Error is not null) o["error"] = r.Error;
            slides.Add(o);
        }
        return new JsonObject { ["slides"] = slides };
    }

    /// <summary>A one-line progress bar on stderr (only when stderr is a terminal).</summary>
    private sealed class ProgressBar : IProgress<TilingProgress>
    {
        private readonly object _gate = new();
        private long _lastTick;

        public void Report(TilingProgress p)
        {
            lock (_gate)
            {
                long now = Environment.TickCount64;
                if (p.Done != p.Total && now - _lastTick < 100) return;
                _lastTick = now;
                const int width = 30;
                int filled = p.Total == 0 ? width : (int)(width * p.Done / p.Total);
                Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] slide {p.SlideIndex + 1}/{p.SlideCount} {p.Done}/{p.Total} tiles  {Path.GetFileName(p.Path)}   ");
            }
        }

        public void Finish()
        {
            lock (_gate) Console.Error.WriteLine();
        }
    }
}
