using System.CommandLine;
using HistoPrognosis.Work;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary>
/// <c>histoprog slurm submit CONFIG --out DIR --workers N [--model MODEL_DIR] [--stages …] [--partition P --time T --mem M --gpus G] [--dry-run]</c>:
/// an sbatch array of per-slide workers (with a model: predict and heatmap too) and a dependent (afterany) job for
/// the cohort stages.
/// </summary>
public static class SlurmCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("config") { Description = "run config (YAML or JSON) with input.slides" };
        var output = new Option<string>("--out") { Description = "shared output folder, visible from every node", Required = true };
        var workers = new Option<int>("--workers") { Description = "array tasks (per-slide workers)", Required = true };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition" };
        var time = new Option<string?>("--time") { Description = "time limit per job (Slurm format, e.g. 04:00:00)" };
        var mem = new Option<string?>("--mem") { Description = "memory per job (e.g. 16G)" };
        var gpus = new Option<int?>("--gpus") { Description = "GPUs per array task (--gres=gpu:G)" };
        var cpus = new Option<int?>("--cpus") { Description = "CPUs per task (default 1)" };
        var perSlideOnly = new Option<bool>("--per-slide-only") { Description = "submit only the per-slide array (the cohort stages run elsewhere)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the scripts; submit nothing" };
        var model = new Option<string?>("--model") { Description = "a MIL model folder of histoprog train: the array's workers also predict and draw heatmaps (work --model)" };
        var stages = new Option<string?>("--stages") { Description = "the workers' --stages (default tile,extract; with --model all four)" };
        var submit = new Command("submit", "write and submit the per-slide array and the dependent cohort job") { file, output, workers, partition, time, mem, gpus, cpus, perSlideOnly, dryRun, model, stages };
        submit.SetAction(parse =>
        {
            var config = Path.GetFullPath(parse.GetValue(file)!);
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            if (!File.Exists(config)) throw new UserInputException($"{config}: no such run config");
            var run = SlideWork.ForFolder(RunConfig.Load(config), outDir);
            if (run.Input.Slides is null) throw new UserInputException($"{config}: input.slides is not set; the per-slide workers need a slide manifest");
            var request = new SlurmRequest(config, outDir, parse.GetValue(workers), SelfCommand(), parse.GetValue(partition), parse.GetValue(time),
                parse.GetValue(mem), parse.GetValue(gpus), parse.GetValue(cpus) ?? 1, parse.GetValue(perSlideOnly),
                parse.GetValue(model) is { } m ? Path.GetFullPath(m) : null, parse.GetValue(stages));
            var result = SlurmJobs.Submit(request, run.Features.Cache!, parse.GetValue(dryRun));
            var writer = parse.InvocationConfiguration.Output;
            if (result.ArrayJob is null)
            {
                writer.WriteLine("# slides.sbatch\n" + result.WorkScript);
                writer.WriteLine("# cohort.sbatch (sbatch --dependency=afterany:ARRAY_JOB)\n" + result.CohortScript);
            }
            else
                writer.WriteLine($"submitted per-slide array {result.ArrayJob} ({request.Workers} workers)" +
                    (result.CohortJob is { } c ? $" and cohort job {c} (afterany:{result.ArrayJob})" : "") + $"; follow with: histoprog status {outDir}");
            return 0;
        });
        var command = new Command("slurm", "run a cohort on a Slurm cluster over a shared folder");
        command.Subcommands.Add(submit);
        return command;
    }

    /// <summary>How the nodes start this histoprog: the app host, or <c>dotnet histoprog.dll</c>.</summary>
    private static string SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(SlurmCommand).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? $"{SlurmJobs.Quote(process)} {SlurmJobs.Quote(dll)}" : SlurmJobs.Quote(process);
    }
}
