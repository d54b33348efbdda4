using System.Diagnostics;

namespace HistoPrognosis;

/// <summary>
/// Named places where a resumable stage can be killed on purpose, so the resume guarantee is tested against a real
/// SIGKILL at a known moment instead of a timed one. Set <c>HISTOPROG_CRASH_AT=name</c> (first hit) or
/// <c>name#k</c> (k-th hit) and the process kills itself there, exactly as <c>kill -9</c> would: no finally blocks,
/// no flushing. Unset, a hit costs one string comparison.
/// </summary>
public static class CrashPoint
{
    public const string Variable = "HISTOPROG_CRASH_AT";

    private static readonly (string Name, int Hit)? Target = Parse(Environment.GetEnvironmentVariable(Variable));
    private static int _hits;

    public static void Hit(string name)
    {
        if (Target is not { } target || target.Name != name) return;
        if (Interlocked.Increment(ref _hits) == target.Hit) Process.GetCurrentProcess().Kill();
    }

    private static (string, int)? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        int hash = value.LastIndexOf('#');
        return hash < 0 ? (value, 1) : (value[..hash], int.Parse(value[(hash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
