using System.Diagnostics;
using System.Globalization;

namespace HistoPrognosis.Tests.BadInput;

/// <summary>What one <c>histoprog</c> child process did: exit code, output, peak resident memory and wall time.</summary>
public sealed record ChildResult(int Exit, string Stdout, string Stderr, long MaxRssKb, TimeSpan Elapsed)
{
    public string Output => Stdout + Stderr;
}

/// <summary>
/// Runs the built CLI as a child process (<c>dotnet histoprog.dll …</c>, as a user would) under GNU time, whose
/// <c>-f %M</c> reports the child's peak resident set size: the only honest measure of what a hostile file costs, since
/// the decode happens in native code outside the managed heap.
/// </summary>
public static class CliChild
{
    private const string GnuTime = "/usr/bin/time";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <param name="dataHome">XDG_DATA_HOME of the child, so no default cache or tile folder lands in the real home</param>
    public static async Task<ChildResult> RunAsync(IReadOnlyList<string> args, string workingDirectory, string dataHome)
    {
        if (!File.Exists(GnuTime)) throw new InvalidOperationException($"{GnuTime} is missing: install the Debian package 'time' (build/install-deps.sh does)");
        var rssFile = Path.Combine(workingDirectory, $".rss-{Guid.NewGuid():N}");
        var psi = new ProcessStartInfo(GnuTime)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in (string[])["-f", "%M", "-o", rssFile, "dotnet", Path.Combine(AppContext.BaseDirectory, "histoprog.dll"), .. args]) psi.ArgumentList.Add(a);
        psi.Environment["XDG_DATA_HOME"] = dataHome;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment.Remove("HISTOPROG_DEBUG"); // the user's view: no stack traces asked for
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"histoprog {string.Join(' ', args)} ran longer than {Timeout.TotalMinutes} minutes");
        }
        var rss = File.Exists(rssFile) ? ParseRss(await File.ReadAllTextAsync(rssFile)) : -1;
        File.Delete(rssFile);
        return new ChildResult(process.ExitCode, await stdout, await stderr, rss, clock.Elapsed);
    }

    // GNU time writes "Command exited with non-zero status N" before the format's line when the child fails.
    private static long ParseRss(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => long.TryParse(line, NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb) ? kb : -1).LastOrDefault(kb => kb >= 0, -1);
}
