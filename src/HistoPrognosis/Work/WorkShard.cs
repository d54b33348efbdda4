using System.Globalization;

namespace HistoPrognosis.Work;

/// <summary>
/// Which units a worker may take: all of them, claimed dynamically (<see cref="Dynamic"/>), or a static share
/// <c>i/n</c> (units whose position modulo n is i; 0 ≤ i &lt; n). Static shares still claim each unit, so two workers
/// given the same share never do a unit twice.
/// </summary>
public sealed record WorkShard(int Index, int Count)
{
    public static WorkShard Dynamic { get; } = new(0, 1);

    public bool IsStatic => Count > 1;

    public bool Includes(int position) => position % Count == Index;

    public override string ToString() => IsStatic ? $"{Index}/{Count}" : "dynamic";

    /// <summary>
    /// <c>i/n</c>; <c>none</c> for dynamic claiming; <c>auto</c> (or absent): the scheduler's array index when the
    /// environment names one (Slurm's SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, offset by SLURM_ARRAY_TASK_MIN;
    /// Kubernetes' JOB_COMPLETION_INDEX with HISTOPROG_SHARD_COUNT, as an Indexed Job does not export its size),
    /// else dynamic.
    /// </summary>
    public static WorkShard Parse(string? text, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        text = text?.Trim();
        if (text is null or "" or "auto") return FromEnvironment(environment);
        if (text == "none") return Dynamic;
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && i < n)
            return new WorkShard(i, n);
        throw new UserInputException($"--shard '{text}': expected i/n with 0 ≤ i < n (e.g. 0/4), auto or none");
    }

    private static WorkShard FromEnvironment(Func<string, string?> env)
    {
        if (env("SLURM_ARRAY_TASK_ID") is { } id && env("SLURM_ARRAY_TASK_COUNT") is { } count)
        {
            int min = int.TryParse(env("SLURM_ARRAY_TASK_MIN"), CultureInfo.InvariantCulture, out var m) ? m : 0;
            return Checked(id, count, min, "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT");
        }
        if (env("JOB_COMPLETION_INDEX") is { } index)
        {
            if (env("HISTOPROG_SHARD_COUNT") is not { } size) return Dynamic; // an index alone: claim dynamically
            return Checked(index, size, 0, "JOB_COMPLETION_INDEX", "HISTOPROG_SHARD_COUNT");
        }
        return Dynamic;
    }

    private static WorkShard Checked(string id, string count, int min, string idName, string countName)
    {
        if (!int.TryParse(id, CultureInfo.InvariantCulture, out int i) || !int.TryParse(count, CultureInfo.InvariantCulture, out int n) || n < 1 || i - min < 0 || i - min >= n)
            throw new UserInputException($"{idName}={id}, {countName}={count}: not a task index within the array (give --shard i/n or --shard none)");
        return n == 1 ? Dynamic : new WorkShard(i - min, n);
    }
}
