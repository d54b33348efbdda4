using HistoPrognosis.IO;
using HistoPrognosis.Work;

namespace HistoPrognosis.Tests.Work;

/// <summary>
/// The per-slide stages as workers over one shared folder, on a real (one-node) Slurm: an array gives the same
/// feature files as one process, a worker killed mid-slide is redone by a resubmission, and workers claiming
/// dynamically never do a slide twice. Tiny settings (4 µm/px, 32 px tiles, the scratch backbone at 32 px) keep
/// the whole class near a minute on two cores.
/// </summary>
[Collection(SlurmCollection.Name)]
public sealed class SlurmWorkerTests(SlurmCluster cluster)
{
    private static readonly Lazy<Cohort8> Shared = new(Cohort8.Create);

    /// <summary>Eight slides (the three real fixtures and copies) and the features one process makes of them.</summary>
    private sealed record Cohort8(string Dir, string Config, string Reference)
    {
        public static Cohort8 Create()
        {
            var dir = TestPaths.NewTempDirectory("SlurmCohort8");
            string[] sources = ["CMU-1-Small-Region.svs", "tcga-cr-7395-01a-01-ts1.svs", "small_dicom_TCGA-XK-AAJU-01A-01-TS1.dcm"];
            var lines = new List<string> { "patient_id,slide_path,mpp" };
            for (int i = 0; i < 8; i++)
            {
                var source = sources[i % 3];
                var name = $"s{i + 1}{Path.GetExtension(source)}";
                File.Copy(TestPaths.Fixture("wsi", source), Path.Combine(dir, name));
                lines.Add($"P{i + 1},{name},{(source.StartsWith("CMU") ? "" : "0.5")}"); // the TCGA fixtures state no µm/px
            }
            File.WriteAllLines(Path.Combine(dir, "slides.csv"), lines);
            var config = Path.Combine(dir, "run.yaml");
            File.WriteAllText(config, "input:\n  slides: slides.csv\ntiling:\n  target_mpp: 4\n  tile_size: 32\nfeatures:\n  backbone: scratch\n  image_size: 32\n");
            var reference = Path.Combine(dir, "one-process");
            var r = HistoprogProcess.Run("work", config, "--out", reference);
            Assert.True(r.Code == 0, r.Err);
            Assert.Contains("8 patients: 8 extracted, 0 reused (", r.Out);
            return new Cohort8(dir, config, reference);
        }
    }

    private static Dictionary<string, byte[]> Features(string output) =>
        Directory.EnumerateFiles(Path.Combine(output, "features"), "*.h5", SearchOption.AllDirectories)
            .ToDictionary(Path.GetFileName, File.ReadAllBytes)!;

    private static void AssertSameFeatures(string reference, string output)
    {
        var expected = Features(reference);
        var actual = Features(output);
        Assert.Equal(8, expected.Count);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs from the one-process run");
    }

    private string Submit(string config, string output, int workers) => SubmitBoth(config, output, workers, perSlideOnly: true).Array;

    private (string Array, string? Cohort) SubmitBoth(string config, string output, int workers, bool perSlideOnly)
    {
        string[] args = ["slurm", "submit", config, "--out", output, "--workers", workers.ToString(), .. perSlideOnly ? new[] { "--per-slide-only" } : []];
        var r = HistoprogProcess.RunAsync(args, timeoutSeconds: 60, environment: cluster.SlurmEnvironment).GetAwaiter().GetResult();
        Assert.True(r.Code == 0, r.Err + r.Out);
        var match = System.Text.RegularExpressions.Regex.Match(r.Out, @"submitted per-slide array (\d+) \(\d+ workers\)(?: and cohort job (\d+) \(afterany:\1\))?");
        Assert.True(match.Success, r.Out);
        return (match.Groups[1].Value, match.Groups[2].Success ? match.Groups[2].Value : null);
    }

    [Fact]
    public void AFourWorkerArrayOverEightSlidesWritesTheSameFeatureBytesAsOneProcess()
    {
        var cohort = Shared.Value;
        var output = Path.Combine(cohort.Dir, "array");
        var (job, cohortJob) = SubmitBoth(cohort.Config, output, 4, perSlideOnly: false);
        // The cohort stages wait for the whole array, whatever its tasks' exit codes; the test needs only the array.
        Assert.NotNull(cohortJob);
        var dependency = cluster.Client("scontrol", "show", "job", cohortJob!);
        Assert.Contains($"Dependency=afterany:{job}", dependency); // shown as afterany:ID_*(unfulfilled) for an array
        Assert.Contains("JobState=PENDING", dependency);
        cluster.Client("scancel", cohortJob!);
        cluster.WaitForJob(job, TimeSpan.FromMinutes(3));
        AssertSameFeatures(cohort.Reference, output);
        var folder = WorkFolder.Existing(output);
        Assert.All(folder.Status(), s => Assert.Equal((8, 0, 0, 0), (s.Done, s.Claimed, s.Failed, s.Left)));
        // Every task took its static share (SLURM_ARRAY_TASK_ID of 4): two patients each.
        var workers = folder.Done(WorkStage.Extract).GroupBy(d => d.Claim.Worker).ToList();
        Assert.Equal(4, workers.Count);
        Assert.All(workers, w => Assert.Equal(2, w.Count()));
        var logs = Directory.EnumerateFiles(Path.Combine(output, ".work", "slurm"), "slides-*.log").Select(File.ReadAllText).ToList();
        Assert.Equal(4, logs.Count);
        Assert.All(logs, log => Assert.Matches(@"2 patients: 2 extracted, 0 reused \(", log));
    }

    [Fact]
    public void AWorkerKilledMidSlideIsRedoneByTheResubmittedArrayWithTheSameResult()
    {
        var cohort = Shared.Value;
        var output = Path.Combine(cohort.Dir, "killed");
        var job = Submit(cohort.Config, output, 4);
        // SIGKILL the first worker seen holding a patient whose features are not written yet.
        var claims = Path.Combine(output, ".work", "claims");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        int? killed = null;
        string? unit = null;
        while (killed is null && DateTime.UtcNow < deadline)
        {
            foreach (var file in Directory.Exists(claims) ? Directory.GetFiles(claims, "*" + SharedClaim.Suffix) : [])
            {
                ClaimRecord? record;
                try { record = ClaimRecord.Read(file); } catch (UserInputException) { continue; }
                unit = Path.GetFileName(file)[..^SharedClaim.Suffix.Length];
                if (record is null || File.Exists(Path.Combine(output, ".work", "extract", "done", unit + ".json"))) continue;
                try
                {
                    using var p = System.Diagnostics.Process.GetProcessById(record.Pid);
                    p.Kill(); // SIGKILL
                    killed = record.Pid;
                    break;
                }
                catch (ArgumentException) { } // finished meanwhile
            }
            Thread.Sleep(20);
        }
        Assert.True(killed is not null, "no worker was seen mid-slide");
        cluster.WaitForJob(job, TimeSpan.FromMinutes(3));
        var before = WorkFolder.Existing(output).Status().Single(s => s.Stage == WorkStage.Extract);
        Assert.True(before.Done < 8, $"the killed worker's patient {unit} was done anyway");
        Assert.True(File.Exists(Path.Combine(claims, unit + SharedClaim.Suffix)), "the killed worker's claim record should be left behind");

        var again = Submit(cohort.Config, output, 4);
        cluster.WaitForJob(again, TimeSpan.FromMinutes(3));
        AssertSameFeatures(cohort.Reference, output);
        var folder = WorkFolder.Existing(output);
        Assert.All(folder.Status(), s => Assert.Equal((8, 0, 0, 0), (s.Done, s.Claimed, s.Failed, s.Left)));
        Assert.Empty(Directory.GetFiles(claims, "*" + SharedClaim.Suffix)); // the dead holder's record was taken over, then released
        // Each patient's features were written once across both arrays (the journals list every processed unit).
        var processed = folder.JournalRows().Where(r => r[1] == "extract" && r[2] == "processed").GroupBy(r => r[0]).ToList();
        Assert.Equal(8, processed.Count);
        Assert.All(processed, g => Assert.Single(g));
    }

    [Fact]
    public async Task TwoWorkersClaimingDynamicallyProcessEverySlideExactlyOnce()
    {
        var cohort = Shared.Value;
        var output = Path.Combine(cohort.Dir, "dynamic");
        string[] args = ["work", cohort.Config, "--out", output, "--shard", "none"];
        var results = await Task.WhenAll(HistoprogProcess.RunAsync(args), HistoprogProcess.RunAsync(args));
        Assert.All(results, r => Assert.True(r.Code == 0, r.Err));
        Assert.All(results, r => Assert.Matches(@"8 patients: \d extracted, \d reused \(", r.Out));
        var rows = WorkFolder.Existing(output).JournalRows();
        foreach (var stage in new[] { "tile", "extract" })
        {
            var processed = rows.Where(r => r[1] == stage && r[2] == "processed").GroupBy(r => r[0]).ToList();
            Assert.Equal(8, processed.Count);
            Assert.All(processed, g => Assert.Single(g)); // no slide processed twice
        }
        Assert.Equal(2, rows.Select(r => r[4]).Distinct().Count()); // both workers took part
        AssertSameFeatures(cohort.Reference, output);
    }
}
