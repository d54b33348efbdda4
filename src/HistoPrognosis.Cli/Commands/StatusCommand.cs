using System.CommandLine;
using HistoPrognosis.Work;

namespace HistoPrognosis.Cli.Commands;

/// <summary>
/// <c>histoprog status DIR</c>: per per-slide stage (tile, extract, and predict, heatmap once a worker had a model),
/// how many units are done, claimed now, failed and left; whether the merged risks.csv is written. Reads only.
/// </summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "output folder of histoprog work / slurm submit" };
        var command = new Command("status", "done / claimed / failed / left per per-slide stage of a shared output folder") { dir };
        command.SetAction(parse =>
        {
            var folder = WorkFolder.Existing(parse.GetValue(dir)!);
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"{"stage",-8} {"done",6} {"claimed",8} {"failed",7} {"left",6}");
            foreach (var s in folder.Status())
                output.WriteLine($"{s.Stage.ToString().ToLowerInvariant(),-8} {s.Done,6} {s.Claimed,8} {s.Failed,7} {s.Left,6}");
            if (folder.InUse(WorkStage.Predict))
            {
                var risks = Workflow.ModelWork.RisksPath(folder.Output);
                output.WriteLine(File.Exists(risks) ? $"risks: {risks}" : $"risks: not yet merged ({risks} is written when every patient's predict is done)");
            }
            var failures = folder.Failures();
            foreach (var f in failures)
                output.WriteLine($"failed: {f.Unit} ({f.Stage.ToString().ToLowerInvariant()} on {f.Host}): {f.Error}");
            return 0;
        });
        return command;
    }
}
