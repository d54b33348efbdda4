using System.Diagnostics;

namespace HistoPrognosis.Tests;

/// <summary>What a <c>histoprog</c> child process did.</summary>
public sealed record ProcessResult(int Code, string Out, string Err);

/// <summary>
/// Runs the built CLI as a separate process (<c>dotnet histoprog.dll …</c>), as a user or a second worker would:
/// for exit codes, messages, concurrent workers and real kills.
/// </summary>
public static class HistoprogProcess
{
    /// <param name="crashAt">a <see cref="CrashPoint"/> at which the child kills itself, or null</param>
    /// <param name="environment">variables set for the child (e.g. SLURM_CONF), or null</param>
    public static async Task<ProcessResult> RunAsync(IEnumerable<string> args, string? crashAt = null, int timeoutSeconds = 300,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "histoprog.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment[CrashPoint.Variable] = crashAt ?? "";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(timeoutSeconds));
        return new ProcessResult(p.ExitCode, await stdout, await stderr);
    }

    public static ProcessResult Run(params string[] args) => RunAsync(args, timeoutSeconds: 120).GetAwaiter().GetResult();
}
