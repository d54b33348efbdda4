namespace HistoPrognosis.IO;

/// <summary>
/// A claim on one unit of work (a slide, a patient) that holds across hosts sharing a file system (NFS, Lustre,
/// BeeGFS, CephFS), where <c>flock</c> alone does not: depending on the mount it is local to each client
/// (<c>local_lock=flock</c>, Lustre without <c>-o flock</c>), unsupported (then .NET silently takes no lock), or
/// recovered only after a server lease. So the authority is a record file, <c>unit.claim</c>, created exclusively
/// (written under a temporary name and hard-linked into place, which fails when the name exists — atomic on local
/// file systems and on NFS, and a reader never sees half a record) naming the holder's host, pid, start time and a
/// token. The holder touches the record's modification time every <c>staleAfter/4</c> (its heartbeat). Another
/// worker takes the claim over when the holder is evidently dead: on the same host, its pid is gone; anywhere, the
/// heartbeat is older than <c>staleAfter</c> (which must exceed the hosts' clock skew plus a heartbeat). Takeover
/// renames the stale record aside (one renamer wins) and checks it moved the record it judged stale.
/// The <see cref="WorkClaim"/> flock on <c>unit.lock</c> is kept as the fast path: on one host a live holder is
/// refused without reading the record. A holder that finds its record replaced (it stalled past the timeout and was
/// taken over) is <see cref="Lost"/> and must not commit: outputs are written atomically and the successor redoes them.
/// </summary>
public sealed class SharedClaim : IDisposable
{
    /// <summary>Appended to the unit's path to name its record.</summary>
    public const string Suffix = ".claim";

    private readonly WorkClaim _local;
    private readonly Timer _heartbeat;
    private volatile bool _lost;
    private int _disposed;

    private SharedClaim(WorkClaim local, string path, ClaimRecord record, TimeSpan staleAfter)
    {
        _local = local;
        RecordPath = path;
        Record = record;
        var beat = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(50).Ticks, staleAfter.Ticks / 4));
        _heartbeat = new Timer(_ => Beat(), null, beat, beat);
    }

    public ClaimRecord Record { get; }

    public string RecordPath { get; }

    /// <summary>True once another worker took the claim over (this one stalled past the timeout).</summary>
    public bool Lost => _lost;

    /// <summary>Throws when the claim was taken over; call before committing the unit's outputs.</summary>
    public void EnsureHeld()
    {
        if (_lost || ClaimRecord.Read(RecordPath)?.Token != Record.Token)
        {
            _lost = true;
            throw new ClaimLostException($"{RecordPath}: this worker's claim was taken over (its heartbeat stalled past the timeout); the unit is left to the new holder");
        }
    }

    /// <summary>How long a holder on another host may go without a heartbeat before its claim is taken over.</summary>
    public static readonly TimeSpan DefaultStaleAfter = TimeSpan.FromSeconds(120);

    /// <summary>Waits until the unit can be claimed (its holder finished, died, or went silent), polling four times a second.</summary>
    public static SharedClaim Take(string unitPath, TimeSpan staleAfter)
    {
        while (true)
        {
            if (TryTake(unitPath, staleAfter) is { } claim) return claim;
            Thread.Sleep(250);
        }
    }

    /// <summary>Removes the lock and record of a finished unit whose holder died after writing it but before letting go.</summary>
    public static void ClearAbandoned(string unitPath, TimeSpan staleAfter)
    {
        if (File.Exists(unitPath + Suffix)) TryTake(unitPath, staleAfter)?.Dispose();
        else WorkClaim.ClearAbandoned(unitPath);
    }

    /// <summary>The claim on <paramref name="unitPath"/>, or null while a live worker (here or on another host) holds it.</summary>
    public static SharedClaim? TryTake(string unitPath, TimeSpan staleAfter, WorkerIdentity? who = null)
    {
        who ??= WorkerIdentity.Current;
        var local = WorkClaim.TryTake(unitPath);
        if (local is null) return null; // a live holder on this host
        try
        {
            var path = unitPath + Suffix;
            for (int attempt = 0; attempt < 4; attempt++)
            {
                var record = ClaimRecord.New(who);
                if (TryCreate(path, record)) return new SharedClaim(local, path, record, staleAfter);
                var holder = ClaimRecord.Read(path);
                if (holder is null) continue; // released meanwhile
                if (!IsStale(path, holder, who, staleAfter)) break;
                Evict(path, holder);
            }
            local.Dispose();
            return null;
        }
        catch
        {
            local.Dispose();
            throw;
        }
    }

    /// <summary>Whether the record's holder is dead: its pid gone on this host, or its heartbeat older than the timeout.</summary>
    public static bool IsStale(string path, ClaimRecord holder, WorkerIdentity who, TimeSpan staleAfter)
    {
        if (holder.Host == who.Host && !ProcessAlive(holder.Pid, holder.StartedUtc)) return true;
        var age = DateTime.UtcNow - File.GetLastWriteTimeUtc(path);
        return age > staleAfter;
    }

    private static bool ProcessAlive(int pid, DateTime startedUtc)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            // A reused pid belongs to a process started later (start times read from outside jitter by milliseconds).
            return !p.HasExited && p.StartTime.ToUniversalTime() <= startedUtc.AddSeconds(2);
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static bool TryCreate(string path, ClaimRecord record)
    {
        var temp = FileNames.Temporary(path);
        File.WriteAllText(temp, record.ToJson());
        try
        {
            File.Move(temp, path, overwrite: false); // link(2) + unlink: fails when the record exists
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Moves a stale record aside; if what moved was a fresh record (a racing taker's), it is put back.</summary>
    private static void Evict(string path, ClaimRecord stale)
    {
        var aside = $"{path}.stale-{Guid.NewGuid():N}";
        try { File.Move(path, aside); }
        catch (FileNotFoundException) { return; } // another taker moved it first
        try
        {
            var moved = ClaimRecord.Read(aside);
            if (moved is not null && moved.Token != stale.Token)
            {
                try { File.Move(aside, path, overwrite: false); }
                catch (IOException) { } // a third record is in place: the moved one's owner sees its claim lost
            }
        }
        catch (UserInputException) { } // a corrupt file moved aside is as good as gone
        finally
        {
            if (File.Exists(aside)) File.Delete(aside);
        }
    }

    private void Beat()
    {
        if (_lost || Volatile.Read(ref _disposed) != 0) return;
        try
        {
            if (ClaimRecord.Read(RecordPath)?.Token != Record.Token) { _lost = true; return; }
            File.SetLastWriteTimeUtc(RecordPath, DateTime.UtcNow);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or UserInputException)
        {
            // A passing file-system hiccup: the next beat tries again; a lasting one shows as a lost claim.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        using (var done = new ManualResetEvent(false))
            if (_heartbeat.Dispose(done)) done.WaitOne();
        try
        {
            if (!_lost && ClaimRecord.Read(RecordPath)?.Token == Record.Token) File.Delete(RecordPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or UserInputException) { }
        _local.Dispose();
    }
}

/// <summary>A worker's claim was taken over by another: its unit is not committed.</summary>
public sealed class ClaimLostException(string message) : Exception(message);
