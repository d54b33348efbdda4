using System.Diagnostics;
using System.Globalization;
using HistoPrognosis.IO;

namespace HistoPrognosis.Bench;

/// <summary>
/// Cost of a per-slide claim (<see cref="SharedClaim"/>: flock, exclusive record, heartbeat timer, release) in a
/// folder of the caller's choice (local disk, NFS, Lustre), against the bare flock (<see cref="WorkClaim"/>).
/// </summary>
public static class ClaimOverhead
{
    public static void Run(TextWriter output, string folder, int claims = 500)
    {
        var dir = Path.Combine(folder, $"claim-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            SharedClaim.TryTake(Path.Combine(dir, "warm-up"), SharedClaim.DefaultStaleAfter)!.Dispose();
            var shared = Time(claims, i => SharedClaim.TryTake(Path.Combine(dir, $"s{i}"), SharedClaim.DefaultStaleAfter)!.Dispose());
            var local = Time(claims, i => WorkClaim.TryTake(Path.Combine(dir, $"w{i}"))!.Dispose());
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{claims} claims in {folder}: SharedClaim take+release {shared:0.000} ms each, WorkClaim (flock only) {local:0.000} ms each"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Time(int n, Action<int> claim)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) claim(i);
        return clock.Elapsed.TotalMilliseconds / n;
    }
}
