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
    /// This test process's folder under the temp path: <c>histoprog-tests/PID-STARTTICKS</c>. Every test folder lives
    /// in it, so one delete at exit removes them all, and the next run removes what a killed or crashed run left
    /// (a run whose process is gone). vstest may kill the test host before ProcessExit handlers finish.
    /// </summary>
    public static string RunRoot { get; } = CreateRunRoot();

    private static string CreateRunRoot()
    {
        var parent = Path.Combine(Path.GetTempPath(), "histoprog-tests");
        Directory.CreateDirectory(parent);
        foreach (var stale in Directory.EnumerateDirectories(parent))
            if (!IsLiveRun(Path.GetFileName(stale))) TryDelete(stale);
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var root = Path.Combine(parent, $"{Environment.ProcessId}-{self.StartTime.ToUniversalTime().Ticks}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);
        return root;
    }

    private static bool IsLiveRun(string name)
    {
        var parts = name.Split('-');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var pid) || !long.TryParse(parts[1], out var ticks)) return false;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().Ticks == ticks;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false; // exited meanwhile
        }
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
