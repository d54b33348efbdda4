using HistoPrognosis.IO;
using HistoPrognosis.Work;

namespace HistoPrognosis.Tests.Work;

/// <summary>The cross-host claim: exclusive, a dead or silent holder taken over, a live one on another host respected, a corrupt record refused.</summary>
public sealed class SharedClaimTests
{
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(30);

    private static WorkerIdentity OtherHost(int pid = 4242) => new("another-node", pid, DateTime.UtcNow, "test");

    private static void WriteRecord(string unit, ClaimRecord record, DateTime? touched = null)
    {
        File.WriteAllText(unit + SharedClaim.Suffix, record.ToJson());
        if (touched is { } t) File.SetLastWriteTimeUtc(unit + SharedClaim.Suffix, t);
    }

    [Fact]
    public void AClaimIsExclusiveAndItsRecordNamesTheHolder()
    {
        var unit = Path.Combine(TestPaths.NewTempDirectory(), "P1");
        using (var claim = SharedClaim.TryTake(unit, Stale)!)
        {
            Assert.Null(SharedClaim.TryTake(unit, Stale));
            var record = ClaimRecord.Read(unit + SharedClaim.Suffix)!;
            Assert.Equal(Environment.ProcessId, record.Pid);
            Assert.Equal(WorkerIdentity.Current.Host, record.Host);
            Assert.Equal(claim.Record.Token, record.Token);
        }
        Assert.False(File.Exists(unit + SharedClaim.Suffix));
        using var again = SharedClaim.TryTake(unit, Stale);
        Assert.NotNull(again);
    }

    [Fact]
    public void ALiveHolderOnAnotherHostIsRespectedUntilItsHeartbeatIsStaleThenTakenOver()
    {
        var unit = Path.Combine(TestPaths.NewTempDirectory(), "P1");
        var theirs = ClaimRecord.New(OtherHost());
        WriteRecord(unit, theirs, DateTime.UtcNow); // fresh heartbeat: another node works on it (flock does not see it)
        Assert.Null(SharedClaim.TryTake(unit, Stale));
        Assert.Equal(theirs.Token, ClaimRecord.Read(unit + SharedClaim.Suffix)!.Token);
        File.SetLastWriteTimeUtc(unit + SharedClaim.Suffix, DateTime.UtcNow - Stale - TimeSpan.FromSeconds(1)); // it went silent
        using var mine = SharedClaim.TryTake(unit, Stale);
        Assert.NotNull(mine);
        Assert.Equal(Environment.ProcessId, ClaimRecord.Read(unit + SharedClaim.Suffix)!.Pid);
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(unit)!, "*.stale-*"));
    }

    [Fact]
    public void AHolderOnThisHostWhoseProcessIsGoneIsTakenOverAtOnce()
    {
        var unit = Path.Combine(TestPaths.NewTempDirectory(), "P1");
        using var exited = System.Diagnostics.Process.Start("true")!;
        exited.WaitForExit();
        WriteRecord(unit, ClaimRecord.New(WorkerIdentity.Current with { Pid = exited.Id }), DateTime.UtcNow);
        using var mine = SharedClaim.TryTake(unit, TimeSpan.FromHours(1));
        Assert.NotNull(mine);
    }

    [Fact]
    public void AHolderWhoseRecordWasReplacedKnowsItLostTheClaim()
    {
        var unit = Path.Combine(TestPaths.NewTempDirectory(), "P1");
        using var claim = SharedClaim.TryTake(unit, TimeSpan.FromSeconds(0.4))!;
        claim.EnsureHeld();
        File.WriteAllText(unit + SharedClaim.Suffix, ClaimRecord.New(OtherHost()).ToJson()); // taken over while it stalled
        Assert.Throws<ClaimLostException>(claim.EnsureHeld);
        Assert.True(claim.Lost);
        claim.Dispose();
        Assert.True(File.Exists(unit + SharedClaim.Suffix), "a lost claim must not delete its successor's record");
    }

    [Fact]
    public void TheHeartbeatKeepsAClaimFreshForOtherHosts()
    {
        var unit = Path.Combine(TestPaths.NewTempDirectory(), "P1");
        var stale = TimeSpan.FromSeconds(0.8);
        using var claim = SharedClaim.TryTake(unit, stale)!;
        File.SetLastWriteTimeUtc(unit + SharedClaim.Suffix, DateTime.UtcNow - TimeSpan.FromHours(1));
        Thread.Sleep(600); // a few beats (every stale/4)
        Assert.False(SharedClaim.IsStale(unit + SharedClaim.Suffix, claim.Record, OtherHost(), stale));
    }

    [Fact]
    public void ACorruptRecordIsAClearErrorNamingTheFile()
    {
        var unit = Path.Combine(TestPaths.NewTempDirectory(), "P1");
        File.WriteAllText(unit + SharedClaim.Suffix, "{not json");
        var ex = Assert.Throws<UserInputException>(() => SharedClaim.TryTake(unit, Stale));
        Assert.Contains(unit + SharedClaim.Suffix, ex.Message);
        Assert.Contains("corrupt lock record", ex.Message);
        Assert.Equal("{not json", File.ReadAllText(unit + SharedClaim.Suffix)); // nothing lost
        Assert.NotNull(WorkClaim.TryTake(unit)); // and the local lock was let go
    }

    [Theory]
    [InlineData("1/4", null, null, null, 1, 4)]
    [InlineData("none", "2", "4", null, 0, 1)]
    [InlineData(null, "6", "4", "5", 1, 4)] // SLURM_ARRAY_TASK_MIN offsets an array 5-8
    [InlineData("auto", "3", "4", null, 3, 4)]
    [InlineData(null, null, null, null, 0, 1)]
    public void ShardsComeFromTheFlagOrTheSchedulersEnvironment(string? flag, string? taskId, string? taskCount, string? taskMin, int index, int count)
    {
        var env = new Dictionary<string, string?> { ["SLURM_ARRAY_TASK_ID"] = taskId, ["SLURM_ARRAY_TASK_COUNT"] = taskCount, ["SLURM_ARRAY_TASK_MIN"] = taskMin };
        var shard = WorkShard.Parse(flag, name => env.GetValueOrDefault(name));
        Assert.Equal((index, count), (shard.Index, shard.Count));
    }

    [Fact]
    public void KubernetesIndexWithItsCountIsAShareAndABadShardIsRefused()
    {
        var env = new Dictionary<string, string?> { ["JOB_COMPLETION_INDEX"] = "2", ["HISTOPROG_SHARD_COUNT"] = "3" };
        Assert.Equal(new WorkShard(2, 3), WorkShard.Parse(null, name => env.GetValueOrDefault(name)));
        Assert.Contains("--shard '4/4'", Assert.Throws<UserInputException>(() => WorkShard.Parse("4/4", _ => null)).Message);
        Assert.Throws<UserInputException>(() => WorkShard.Parse("x", _ => null));
    }
}
