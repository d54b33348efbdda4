using System.CommandLine;
using System.Globalization;
using HistoPrognosis.Models;
using HistoPrognosis.Work;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary>
/// <c>histoprog work CONFIG --out DIR [--model MODEL_DIR] [--stages tile,extract,predict,heatmap] [--shard i/n|auto|none]</c>:
/// one worker of the per-slide stages (tile, extract; with a saved MIL model also predict and heatmap) over a shared
/// output folder; any number run at once, on any hosts. <c>histoprog run CONFIG --out DIR</c> then runs the cohort
/// stages on what they made.
/// </summary>
public static class WorkCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("config") { Description = "run config (YAML or JSON) with input.slides" };
        var output = new Option<string>("--out") { Description = "shared output folder (the one histoprog run --out gets)", Required = true };
        var shard = new Option<string?>("--shard") { Description = "i/n: only units i, i+n, … (0 ≤ i < n); none: claim dynamically; auto (default): the Slurm array task or Kubernetes index when set, else dynamic" };
        var stale = new Option<double?>("--stale-after") { Description = "seconds without a heartbeat after which another host's claim is taken over (default 120; must exceed the hosts' clock skew)" };
        var model = new Option<string?>("--model") { Description = "a MIL model folder of histoprog train: adds the predict and heatmap stages on each patient's cached features" };
        var stagesOption = new Option<string?>("--stages") { Description = "comma-separated, of tile, extract, predict, heatmap (default tile,extract; with --model all four)" };
        var options = new RunConfigOptions(ConfigFlags.Cohort | ConfigFlags.Patches | ConfigFlags.Tiling | ConfigFlags.Features | ConfigFlags.Compute);
        var command = new Command("work", "one worker of the per-slide stages (tile, extract; with --model predict, heatmap) over a shared output folder: claims each patient's slides, records failures in failures.csv, resumable")
            { file, output, shard, stale, model, stagesOption };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Bind(parse, file: parse.GetValue(file));
            config.Validate();
            var staleAfter = parse.GetValue(stale) ?? 120;
            if (!(staleAfter > 0)) throw new UserInputException($"--stale-after must be positive, got {staleAfter}");
            var share = WorkShard.Parse(parse.GetValue(shard));
            var outDir = parse.GetValue(output)!;
            var modelDir = parse.GetValue(model);
            var stages = WorkStages.Parse(parse.GetValue(stagesOption), modelDir is not null);
            var r = new SlideWork(config, outDir, PipelineLog.Console).Run(share, TimeSpan.FromSeconds(staleAfter), ComputeDevice.Resolve(config.Device), stages, modelDir);
            var s = r.Summary;
            var writer = parse.InvocationConfiguration.Output;
            int Processed(WorkStage stage) => s.Processed.GetValueOrDefault(stage);
            int Reused(WorkStage stage) => s.Reused.GetValueOrDefault(stage);
            writer.WriteLine($"{s.Units} patients: {Processed(WorkStage.Extract)} extracted, {Reused(WorkStage.Extract)} reused ({r.Settings.Backbone}, {r.Settings.ImageSize} px, {r.Settings.Dimension}-d; shard {r.Shard}) → {r.FeatureFolder}");
            if (stages.Contains(WorkStage.Predict))
                writer.WriteLine($"predict: {Processed(WorkStage.Predict)} predicted, {Reused(WorkStage.Predict)} reused → " +
                                 (r.Risks ?? $"{ModelWork.RisksPath(outDir)} once every patient's predict is done"));
            if (stages.Contains(WorkStage.Heatmap))
                writer.WriteLine($"heatmap: {Processed(WorkStage.Heatmap)} drawn, {Reused(WorkStage.Heatmap)} reused → {Path.Combine(Path.GetFullPath(outDir), ModelWork.HeatmapsFolderName)}");
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"work: {Processed(WorkStage.Tile)} tiled, {Reused(WorkStage.Tile)} tiles reused, {s.Failed} failed; {s.Claims} claims, lock time {s.LockTime.TotalMilliseconds / Math.Max(1, s.Claims):0.0} ms per claim"));
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
