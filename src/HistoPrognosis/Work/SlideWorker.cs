using System.Diagnostics;
using System.Globalization;
using HistoPrognosis.IO;

namespace HistoPrognosis.Work;

/// <summary>A unit of per-slide work: an id (a patient: their slides are done together) and the slides it covers.</summary>
public sealed record WorkUnit(string Id, IReadOnlyList<string> Slides);

/// <summary>
/// One stage's work on a unit; returns true when it only reused outputs that were already there. Bad input
/// (<see cref="UserInputException"/>, unreadable files) fails the unit's stage, which is recorded and skipped.
/// </summary>
public sealed record WorkStep(WorkStage Stage, Func<WorkUnit, bool> Run);

/// <summary>What one worker did, per stage.</summary>
public sealed record WorkerSummary(int Units, IReadOnlyDictionary<WorkStage, int> Processed, IReadOnlyDictionary<WorkStage, int> Reused, int Failed, TimeSpan LockTime, int Claims);

/// <summary>
/// A worker over a <see cref="WorkFolder"/>: takes the units of its share in order, claims each
/// (<see cref="SharedClaim"/>), runs the stages not yet done, and records each stage done or failed. A unit claimed
/// by a live worker is passed over and retried after the others until it is done, failed, or taken over from a dead
/// holder, so every unit of the share is settled when <see cref="Run"/> returns. The mechanism knows nothing of
/// tiling or features: any per-slide stage (prediction, heatmaps) is another <see cref="WorkStep"/>.
/// </summary>
public sealed class SlideWorker(WorkFolder folder, TimeSpan staleAfter, PipelineLog log, WorkerIdentity? who = null)
{
    private readonly WorkerIdentity _who = who ?? WorkerIdentity.Current;

    /// <summary>How long a worker waits between passes over units held elsewhere.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public WorkerSummary Run(IReadOnlyList<WorkUnit> units, WorkShard shard, IReadOnlyList<WorkStep> steps)
    {
        var processed = steps.ToDictionary(s => s.Stage, _ => 0);
        var reused = steps.ToDictionary(s => s.Stage, _ => 0);
        int failed = 0, claims = 0;
        var lockClock = new Stopwatch();
        var pending = units.Where((_, i) => shard.Includes(i)).ToList();
        int share = pending.Count;
        using var journal = folder.OpenJournal(_who);
        var failedHere = new HashSet<string>(StringComparer.Ordinal);
        // Settled: every stage done, or one failed in this run (a rerun retries it).
        bool Settled(WorkUnit u) => failedHere.Contains(u.Id) || steps.All(s => folder.IsDone(s.Stage, u.Id));
        while (pending.Count > 0)
        {
            var held = new List<WorkUnit>();
            foreach (var unit in pending)
            {
                if (Settled(unit)) { CountReused(unit); continue; }
                lockClock.Start();
                var claim = SharedClaim.TryTake(folder.ClaimPath(unit.Id), staleAfter, _who);
                lockClock.Stop();
                if (claim is null) { held.Add(unit); continue; }
                claims++;
                try
                {
                    foreach (var step in steps)
                    {
                        if (folder.IsDone(step.Stage, unit.Id)) { reused[step.Stage]++; continue; }
                        var started = DateTime.UtcNow;
                        var clock = Stopwatch.StartNew();
                        bool wasReused;
                        try
                        {
                            wasReused = step.Run(unit);
                            claim.EnsureHeld();
                        }
                        catch (Exception ex) when (ex is UserInputException or IOException or InvalidDataException or UnauthorizedAccessException)
                        {
                            folder.MarkFailed(new FailedRecord(unit.Id, unit.Slides, step.Stage, ex.Message, _who.Host, DateTime.UtcNow));
                            Journal(journal, unit, step.Stage, "failed", claim.Record, started, clock.Elapsed);
                            log.Info($"{Stage(step.Stage)}: {unit.Id} failed, recorded in {folder.FailuresCsv}: {ex.Message}");
                            failedHere.Add(unit.Id);
                            failed++;
                            break;
                        }
                        folder.MarkDone(new DoneRecord(unit.Id, step.Stage, claim.Record, DateTime.UtcNow, clock.Elapsed.TotalSeconds, wasReused));
                        Journal(journal, unit, step.Stage, wasReused ? "reused" : "processed", claim.Record, started, clock.Elapsed);
                        if (wasReused) reused[step.Stage]++; else processed[step.Stage]++;
                    }
                }
                catch (ClaimLostException ex)
                {
                    log.Info(ex.Message); // the new holder does the unit
                }
                finally
                {
                    lockClock.Start();
                    claim.Dispose();
                    lockClock.Stop();
                }
            }
            pending = held;
            if (pending.Count > 0)
            {
                log.Info($"work: {pending.Count} unit(s) held by other workers; retrying until they finish or their claims go stale");
                Thread.Sleep(RetryDelay);
            }
        }
        if (failed > 0 || folder.Failures().Count > 0 || File.Exists(folder.FailuresCsv)) folder.WriteFailuresCsv();
        return new WorkerSummary(share, processed, reused, failed, lockClock.Elapsed, claims);

        void CountReused(WorkUnit unit)
        {
            foreach (var step in steps)
                if (folder.IsDone(step.Stage, unit.Id)) reused[step.Stage]++;
        }
    }

    private static string Stage(WorkStage stage) => stage.ToString().ToLowerInvariant();

    private void Journal(StreamWriter journal, WorkUnit unit, WorkStage stage, string outcome, ClaimRecord claim, DateTime started, TimeSpan took) =>
        journal.WriteLine(string.Join(',', WorkFolder.UnitFile(unit.Id), Stage(stage), outcome, _who.Host, _who.Pid.ToString(CultureInfo.InvariantCulture), _who.Worker,
            claim.ClaimedUtc.ToString("O", CultureInfo.InvariantCulture), started.Add(took).ToString("O", CultureInfo.InvariantCulture),
            took.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)));
}
