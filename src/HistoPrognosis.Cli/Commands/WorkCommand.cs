using System.CommandLine;
using System.Globalization;
using HistoPrognosis.Models;
using HistoPrognosis.Work;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary>
/// <c>histoprog work CONFIG --out DIR [--shard i/n|auto|none]</c>: one worker of the per-slide stages (tile, extract)
/// over a shared output folder; any number run at once, on any hosts. <c>histoprog run CONFIG --out DIR</c> then
/// runs the cohort stages on what they made.
/// </summary>
public static class WorkCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("config") { Description = "run config (YAML or JSON) with input.slides" };
        var output = new Option<string>("--out") { Description = "shared output folder (the one histoprog run --out gets)", Required = true };
        var shard = new Option<string?>("--shard") { Description = "i/n: only units i, i+n, … (0 ≤ i < n); none: claim dynamically; auto (default): the Slurm array task or Kubernetes index when set, else dynamic" };
        var stale = new Option<double?>("--stale-after") { Description = "seconds without a heartbeat after which another host's claim is taken over (default 120; must exceed the hosts' clock skew)" };
        var options = new RunConfigOptions(ConfigFlags.Patches | ConfigFlags.Tiling | ConfigFlags.Features | ConfigFlags.Compute);
        var command = new Command("work", "one worker of the per-slide stages (tile, extract) over a shared output folder: claims each patient's slides, records failures in failures.csv, resumable") { file, output, shard, stale };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Bind(parse, file: parse.GetValue(file));
            config.Validate();
            var staleAfter = parse.GetValue(stale) ?? 120;
            if (!(staleAfter > 0)) throw new UserInputException($"--stale-after must be positive, got {staleAfter}");
            var share = WorkShard.Parse(parse.GetValue(shard));
            var outDir = parse.GetValue(output)!;
            var r = new SlideWork(config, outDir, PipelineLog.Console).Run(share, TimeSpan.FromSeconds(staleAfter), ComputeDevice.Resolve(config.Device));
            var s = r.Summary;
            var writer = parse.InvocationConfiguration.Output;
            writer.WriteLine($"{s.Units} patients: {s.Processed[WorkStage.Extract]} extracted, {s.Reused[WorkStage.Extract]} reused ({r.Settings.Backbone}, {r.Settings.ImageSize} px, {r.Settings.Dimension}-d; shard {r.Shard}) → {r.FeatureFolder}");
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"work: {s.Processed[WorkStage.Tile]} tiled, {s.Reused[WorkStage.Tile]} tiles reused, {s.Failed} failed; {s.Claims} claims, lock time {s.LockTime.TotalMilliseconds / Math.Max(1, s.Claims):0.0} ms per claim"));
            if (s.Failed > 0)
            {
                Console.Error.WriteLine($"error: {s.Failed} patient(s) failed and were skipped, listed in {Path.Combine(Path.GetFullPath(outDir), "failures.csv")}; rerun to retry only those");
                return 3;
            }
            return 0;
        });
        return command;
    }
}
