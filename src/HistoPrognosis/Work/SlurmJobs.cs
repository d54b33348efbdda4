using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace HistoPrognosis.Work;

/// <summary>What <c>histoprog slurm submit</c> asks of Slurm.</summary>
/// <param name="Histoprog">the command line that starts histoprog on the nodes (already shell-quoted)</param>
/// <param name="Model">a MIL model folder: the array's workers also predict and draw heatmaps (<c>work --model</c>)</param>
/// <param name="Stages">the workers' <c>--stages</c>, or null for their default</param>
public sealed record SlurmRequest(string Config, string Output, int Workers, string Histoprog, string? Partition = null, string? Time = null,
    string? Mem = null, int? Gpus = null, int CpusPerTask = 1, bool PerSlideOnly = false, string? Model = null, string? Stages = null)
{
    public void Validate()
    {
        if (Workers < 1) throw new UserInputException($"--workers must be at least 1, got {Workers}");
        if (CpusPerTask < 1) throw new UserInputException($"--cpus must be at least 1, got {CpusPerTask}");
        if (Gpus is < 0) throw new UserInputException($"--gpus must be ≥ 0, got {Gpus}");
        if (!File.Exists(Config)) throw new UserInputException($"{Config}: no such run config");
        if (Model is not null && !Directory.Exists(Model)) throw new UserInputException($"--model: {Model} does not exist");
        WorkStages.Parse(Stages, Model is not null); // a bad --stages fails here, not in every array task
    }
}

/// <summary>The two jobs of a cohort on Slurm: submitted ids, or the scripts only (dry run).</summary>
public sealed record SlurmSubmission(string WorkScript, string CohortScript, string? ArrayJob, string? CohortJob);

/// <summary>
/// The sbatch scripts of a cohort: an array of <c>histoprog work</c> workers (one per task, each its static share
/// from SLURM_ARRAY_TASK_ID; with a model they also predict and draw heatmaps, and the last to finish merges
/// risks.csv) and a job for the cohort stages (<c>histoprog run</c>: train / crossval / evaluate /
/// report, reusing every slide's outputs) that starts after the array ends whatever its tasks' exit codes
/// (<c>afterany</c>: failed slides are in failures.csv, and the run decides what to do without them).
/// </summary>
public static class SlurmJobs
{
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''") + "'";

    public static string WorkScript(SlurmRequest r, string logs) => Header(r, "histoprog-slides", logs, "slides-%A_%a.log", array: true)
        + $"exec {r.Histoprog} work {Quote(r.Config)} --out {Quote(r.Output)}"
        + (r.Model is { } m ? $" --model {Quote(m)}" : "")
        + (r.Stages is { } s ? $" --stages {Quote(string.Join(',', WorkStages.Parse(s, r.Model is not null).Select(x => x.Name())))}" : "") + "\n";

    public static string CohortScript(SlurmRequest r, string logs, string featureCache) => Header(r with { Gpus = null }, "histoprog-cohort", logs, "cohort-%j.log", array: false)
        + $"exec {r.Histoprog} run {Quote(r.Config)} --out {Quote(r.Output)} --feature-cache {Quote(featureCache)}\n";

    private static string Header(SlurmRequest r, string name, string logs, string logName, bool array)
    {
        var s = new StringBuilder("#!/bin/bash\n");
        s.Append("#SBATCH --job-name=").Append(name).Append('\n');
        if (array) s.Append(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{r.Workers - 1}\n");
        s.Append("#SBATCH --output=").Append(Path.Combine(logs, logName)).Append('\n');
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={r.CpusPerTask}\n");
        if (r.Partition is { } p) s.Append("#SBATCH --partition=").Append(p).Append('\n');
        if (r.Time is { } t) s.Append("#SBATCH --time=").Append(t).Append('\n');
        if (r.Mem is { } m) s.Append("#SBATCH --mem=").Append(m).Append('\n');
        if (r.Gpus is > 0 and var g) s.Append(CultureInfo.InvariantCulture, $"#SBATCH --gres=gpu:{g}\n");
        s.Append("set -euo pipefail\n");
        return s.ToString();
    }

    /// <summary>
    /// Writes both scripts under <c>DIR/.work/slurm/</c> and submits them (the cohort job depending on the array),
    /// or with <paramref name="dryRun"/> only returns them. Without sbatch on PATH nothing is written.
    /// </summary>
    public static SlurmSubmission Submit(SlurmRequest r, string featureCache, bool dryRun)
    {
        r.Validate();
        var logs = Path.Combine(Path.GetFullPath(r.Output), WorkFolder.Name, "slurm");
        var work = WorkScript(r, logs);
        var cohort = CohortScript(r, logs, featureCache);
        if (dryRun) return new SlurmSubmission(work, cohort, null, null);
        var sbatch = FindOnPath("sbatch") ?? throw new UserInputException("Slurm is not available: no sbatch on PATH (install the Slurm client or run on a login node; --dry-run prints the scripts)");
        Directory.CreateDirectory(logs);
        var workPath = Path.Combine(logs, "slides.sbatch");
        var cohortPath = Path.Combine(logs, "cohort.sbatch");
        IO.AtomicFile.WriteAllText(workPath, work);
        IO.AtomicFile.WriteAllText(cohortPath, cohort);
        var arrayJob = Sbatch(sbatch, [workPath]);
        string? cohortJob = r.PerSlideOnly ? null : Sbatch(sbatch, [$"--dependency=afterany:{arrayJob}", cohortPath]);
        return new SlurmSubmission(work, cohort, arrayJob, cohortJob);
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>Submits a script; the job id (<c>--parsable</c> prints <c>id[;cluster]</c>).</summary>
    private static string Sbatch(string sbatch, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(sbatch) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--parsable");
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var id = stdout.GetAwaiter().GetResult().Trim().Split(';')[0];
        if (p.ExitCode != 0 || id.Length == 0) throw new UserInputException($"sbatch {string.Join(' ', psi.ArgumentList)} failed (exit {p.ExitCode}): {stderr.Trim()}");
        return id;
    }
}
