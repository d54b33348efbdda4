namespace HistoPrognosis.Tests;

/// <summary>Locations of fixtures and the repository's embedded demo data.</summary>
public static class TestPaths
{
    public static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "HistoPrognosis.sln"))) return dir.FullName;
            throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    public static string DemoLabels => Path.Combine(RepositoryRoot, "data", "idc-demo", "labels.csv");

    /// <summary>
    /// This test process's folder under the temp path, <c>histoprog-tests/PID-GUID</c>, claimed (a <c>flock</c> on
    /// its <c>.lock</c> file) for the process's lifetime. Every test folder lives in it, so one delete at exit removes
    /// them all, and the next run removes what a killed or crashed run left: a folder whose claim it can take.
    /// (vstest may kill the test host before ProcessExit handlers finish. A process's start time, read from another
    /// process, jitters by milliseconds on Linux, so it cannot tell a live run from a dead one; the kernel's lock can.)
    /// </summary>
    public static string RunRoot { get; } = CreateRunRoot();

    private static HistoPrognosis.IO.WorkClaim? _runClaim;

    private static string CreateRunRoot()
    {
        var parent = Path.Combine(Path.GetTempPath(), "histoprog-tests");
        Directory.CreateDirectory(parent);
        foreach (var stale in Directory.EnumerateDirectories(parent))
        {
            using var claim = HistoPrognosis.IO.WorkClaim.TryTake(stale);
            if (claim is null) continue; // its run is alive
            TryDelete(stale);
        }
        foreach (var lockFile in Directory.EnumerateFiles(parent, "*" + HistoPrognosis.IO.WorkClaim.Suffix))
            HistoPrognosis.IO.WorkClaim.ClearAbandoned(lockFile[..^HistoPrognosis.IO.WorkClaim.Suffix.Length]); // a lock whose run is gone
        var root = Path.Combine(parent, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        // Claimed before it exists: a sweeper never sees this folder unclaimed.
        _runClaim = HistoPrognosis.IO.WorkClaim.TryTake(root) ?? throw new InvalidOperationException($"cannot claim {root}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            TryDelete(root);
            _runClaim?.Dispose();
        };
        return root;
    }

    /// <summary>A fresh folder in <see cref="RunRoot"/>, named for the test that asked (sizes can be traced to tests).</summary>
    public static string NewTempDirectory([System.Runtime.CompilerServices.CallerMemberName] string caller = "")
    {
        var dir = Path.Combine(RunRoot, $"{FileNameSafe(caller)}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FileNameSafe(string name)
    {
        var kept = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        return kept.Length > 60 ? kept[..60] : kept;
    }

    /// <summary>Removes a test's folder now (large outputs should not wait for the process to exit).</summary>
    public static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still open elsewhere keeps its folder until the next run's sweep.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
