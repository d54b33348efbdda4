using System.Diagnostics;
using System.Text.Json;

namespace HistoPrognosis.IO;

/// <summary>
/// Who holds a <see cref="SharedClaim"/>: the host (short name), process id and process start time, the scheduler's
/// name for the worker (a Slurm array task, a Kubernetes index) and a token unique to this one claim, so an owner can
/// tell its own record from a successor's.
/// </summary>
public sealed record ClaimRecord(string Host, int Pid, DateTime StartedUtc, string Worker, string Token, DateTime ClaimedUtc)
{
    public static ClaimRecord New(WorkerIdentity who) => new(who.Host, who.Pid, who.StartedUtc, who.Worker, Guid.NewGuid().ToString("N"), DateTime.UtcNow);

    public string ToJson() => JsonSerializer.Serialize(this, JsonDefaults.Options);

    /// <summary>The record in <paramref name="path"/>; null when the file is gone; a file that is not a record is a user-facing error.</summary>
    public static ClaimRecord? Read(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (FileNotFoundException) { return null; }
        try
        {
            var record = JsonSerializer.Deserialize<ClaimRecord>(text, JsonDefaults.Options);
            if (record is { Host.Length: > 0, Token.Length: > 0, Pid: > 0 }) return record;
        }
        catch (JsonException) { }
        throw new UserInputException($"{path}: corrupt lock record (not a JSON claim with host, pid and token); if no worker is running on this folder, delete the file and rerun");
    }
}

/// <summary>This process as a worker: host, pid, start time and the scheduler's task name when there is one.</summary>
public sealed record WorkerIdentity(string Host, int Pid, DateTime StartedUtc, string Worker)
{
    public static WorkerIdentity Current { get; } = Create();

    private static WorkerIdentity Create()
    {
        var host = System.Net.Dns.GetHostName().Split('.')[0];
        Func<string, string?> env = Environment.GetEnvironmentVariable;
        var worker = env("SLURM_ARRAY_JOB_ID") is { } job && env("SLURM_ARRAY_TASK_ID") is { } task ? $"slurm:{job}_{task}"
            : env("JOB_COMPLETION_INDEX") is { } index ? $"k8s:{index}"
            : $"pid:{Environment.ProcessId}";
        using var self = Process.GetCurrentProcess();
        return new WorkerIdentity(host, Environment.ProcessId, self.StartTime.ToUniversalTime(), worker);
    }
}
