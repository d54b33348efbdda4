namespace HistoPrognosis.IO;

/// <summary>
/// A claim on one unit of shared work (a patient's feature file, a slide's tiles) by one process: an exclusive lock
/// on <c>unit.lock</c> (.NET takes it with <c>flock</c> when a file is opened with <see cref="FileShare.None"/>).
/// The kernel drops the lock when its holder dies, even by <c>kill -9</c>, so a crashed worker's unit is taken
/// over by the next one that asks. The lock file is only a rendezvous: whoever gets a claim must check whether the
/// unit's output already exists, because a holder may have finished it just before releasing.
/// Exact on one host only: on shared file systems <c>flock</c> may be per client, unsupported (no lock, no error)
/// or held for a lease after its holder died, so workers on several hosts claim with <see cref="SharedClaim"/>,
/// which keeps this lock as its same-host fast path.
/// </summary>
public sealed class WorkClaim : IDisposable
{
    /// <summary>Appended to the unit's path to name its lock file.</summary>
    public const string Suffix = ".lock";

    private readonly FileStream _lock;
    private readonly string _path;

    private WorkClaim(FileStream stream, string path)
    {
        _lock = stream;
        _path = path;
    }

    /// <summary>The claim on <paramref name="unitPath"/>, or null while another live process holds it.</summary>
    public static WorkClaim? TryTake(string unitPath)
    {
        var path = unitPath + Suffix;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new WorkClaim(stream, path);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null; // held: flock refused
        }
    }

    /// <summary>Waits until the unit can be claimed (its holder finished or died), polling four times a second.</summary>
    public static WorkClaim Take(string unitPath)
    {
        while (true)
        {
            if (TryTake(unitPath) is { } claim) return claim;
            Thread.Sleep(250);
        }
    }

    /// <summary>Removes the lock file of a finished unit whose holder was killed after writing it but before letting go.</summary>
    public static void ClearAbandoned(string unitPath)
    {
        if (File.Exists(unitPath + Suffix)) TryTake(unitPath)?.Dispose();
    }

    public void Dispose()
    {
        // Unlink before unlocking: a process that opened the old file meanwhile gets a claim it then finds done.
        try { File.Delete(_path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _lock.Dispose();
    }
}
