using HistoPrognosis.IO;

namespace HistoPrognosis.Tests.Work;

/// <summary>Bad input to the workers and to slurm submit: a clear error, exit ≠ 0, and nothing already there lost.</summary>
public sealed class WorkBadInputTests
{
    private static (string Dir, string Config) OneSlide(string tileSize = "32")
    {
        var dir = TestPaths.NewTempDirectory();
        File.Copy(TestPaths.Fixture("wsi", "CMU-1-Small-Region.svs"), Path.Combine(dir, "a.svs"));
        File.WriteAllLines(Path.Combine(dir, "slides.csv"), ["patient_id,slide_path", "P1,a.svs"]);
        var config = Path.Combine(dir, $"run{tileSize}.yaml");
        File.WriteAllText(config, $"input:\n  slides: slides.csv\ntiling:\n  target_mpp: 8\n  tile_size: {tileSize}\nfeatures:\n  backbone: scratch\n  image_size: 32\n");
        return (dir, config);
    }

    [Fact]
    public void AFolderWrittenByAnotherConfigIsRefusedAndKept()
    {
        var (dir, config) = OneSlide();
        var output = Path.Combine(dir, "out");
        var first = HistoprogProcess.Run("work", config, "--out", output);
        Assert.True(first.Code == 0, first.Err);
        var features = Directory.GetFiles(output, "*.h5", SearchOption.AllDirectories).Order().ToList();
        var other = Path.Combine(dir, "run48.yaml");
        File.WriteAllText(other, File.ReadAllText(config).Replace("tile_size: 32", "tile_size: 48"));
        var r = HistoprogProcess.Run("work", other, "--out", output);
        Assert.Equal(2, r.Code);
        Assert.Contains("written by another config (settings key", r.Err);
        Assert.Contains(Path.Combine(output, ".work", "settings.json"), r.Err);
        Assert.Equal(features, Directory.GetFiles(output, "*.h5", SearchOption.AllDirectories).Order());
    }

    [Fact]
    public void ACorruptLockRecordIsAClearErrorAndStaysForAPersonToJudge()
    {
        var (dir, config) = OneSlide();
        var output = Path.Combine(dir, "out");
        var record = Path.Combine(output, ".work", "claims", "P1" + SharedClaim.Suffix);
        Directory.CreateDirectory(Path.GetDirectoryName(record)!);
        File.WriteAllText(record, "garbage");
        var r = HistoprogProcess.Run("work", config, "--out", output);
        Assert.Equal(2, r.Code);
        Assert.Contains($"{record}: corrupt lock record", r.Err);
        Assert.Equal("garbage", File.ReadAllText(record));
    }

    [Fact]
    public void AWorkerThatCannotWriteTheFolderSaysSo()
    {
        var (dir, config) = OneSlide();
        var blocker = Path.Combine(dir, "file");
        File.WriteAllText(blocker, "not a folder");
        var r = HistoprogProcess.Run("work", config, "--out", Path.Combine(blocker, "out"));
        Assert.Equal(2, r.Code);
        Assert.Contains("cannot write the output folder", r.Err);
        Assert.Equal("not a folder", File.ReadAllText(blocker));
    }

    [Fact]
    public void SlurmSubmitWithoutSlurmFailsAndWritesNothingButADryRunPrintsBothJobs()
    {
        var (dir, config) = OneSlide();
        var output = Path.Combine(dir, "out");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "histoprog.dll"), "slurm", "submit", config, "--out", output, "--workers", "3" }) psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = "/nonexistent"; // no sbatch
        using (var p = System.Diagnostics.Process.Start(psi)!)
        {
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(2, p.ExitCode);
            Assert.Contains("Slurm is not available: no sbatch on PATH", err);
        }
        Assert.False(Directory.Exists(output));

        var dry = HistoprogProcess.Run("slurm", "submit", config, "--out", output, "--workers", "3", "--partition", "gpu", "--time", "02:00:00", "--mem", "8G", "--gpus", "1", "--dry-run");
        Assert.True(dry.Code == 0, dry.Err);
        Assert.Contains("#SBATCH --array=0-2", dry.Out);
        Assert.Contains("#SBATCH --partition=gpu", dry.Out);
        Assert.Contains("#SBATCH --time=02:00:00", dry.Out);
        Assert.Contains("#SBATCH --mem=8G", dry.Out);
        Assert.Contains("#SBATCH --gres=gpu:1", dry.Out);
        Assert.Contains($"work '{config}' --out '{output}'", dry.Out);
        Assert.Contains("--dependency=afterany", dry.Out);
        Assert.Contains($"run '{config}' --out '{output}' --feature-cache '{Path.Combine(output, "features")}'", dry.Out);
        Assert.False(Directory.Exists(output));
    }
}

/// <summary>A slide that fails is recorded and skipped; the cohort goes on, and a rerun retries only the failed ones.</summary>
public sealed class WorkFailureTests
{
    [Fact]
    public void AFailedSlideIsRecordedSkippedAndAloneRetriedByTheRerun()
    {
        var dir = TestPaths.NewTempDirectory();
        var good = TestPaths.Fixture("wsi", "CMU-1-Small-Region.svs");
        File.Copy(good, Path.Combine(dir, "a.svs"));
        File.WriteAllText(Path.Combine(dir, "b.svs"), "not a slide"); // unreadable now, replaced before the rerun
        File.WriteAllLines(Path.Combine(dir, "slides.csv"), ["patient_id,slide_path", "P1,a.svs", "P2,b.svs"]);
        var config = Path.Combine(dir, "run.yaml");
        File.WriteAllText(config, "input:\n  slides: slides.csv\ntiling:\n  target_mpp: 8\n  tile_size: 32\nfeatures:\n  backbone: scratch\n  image_size: 32\n");
        var output = Path.Combine(dir, "out");

        var first = HistoprogProcess.Run("work", config, "--out", output);
        Assert.Equal(3, first.Code);
        Assert.Contains("2 patients: 1 extracted, 0 reused (", first.Out);
        Assert.Contains("1 patient(s) failed and were skipped", first.Err);
        var failures = HistoPrognosis.Data.CsvTable.Read(Path.Combine(output, "failures.csv"));
        Assert.Equal(["slide", "stage", "error", "host"], failures.Headers);
        Assert.Single(failures.Rows);
        Assert.Equal(Path.Combine(dir, "b.svs"), failures.Text(0, 0));
        Assert.Equal("tile", failures.Text(0, 1));
        Assert.Equal(HistoPrognosis.IO.WorkerIdentity.Current.Host, failures.Text(0, 3));
        var status = HistoprogProcess.Run("status", output);
        Assert.True(status.Code == 0, status.Err);
        Assert.Matches(@"tile\s+1\s+0\s+1\s+0", status.Out);
        Assert.Matches(@"extract\s+1\s+0\s+0\s+1", status.Out);

        File.Copy(good, Path.Combine(dir, "b.svs"), overwrite: true);
        var rerun = HistoprogProcess.Run("work", config, "--out", output);
        Assert.True(rerun.Code == 0, rerun.Err);
        Assert.Contains("2 patients: 1 extracted, 1 reused (", rerun.Out);
        Assert.False(File.Exists(Path.Combine(output, "failures.csv")));
        var processed = HistoPrognosis.Work.WorkFolder.Existing(output).JournalRows().Where(r => r[2] == "processed").Select(r => $"{r[0]} {r[1]}").Order().ToList();
        Assert.Equal(["P1 extract", "P1 tile", "P2 extract", "P2 tile"], processed); // P1 once, in the first run only
    }
}
