using HistoPrognosis.Cli;
using HistoPrognosis.Mil;
using HistoPrognosis.Studies;
using HistoPrognosis.Training;
using System.Text.Json;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Studies;

/// <summary>The whole demo on a tiny configuration of the real embedded patches, through the CLI and the library.</summary>
[Collection(TorchCollection.Name)]
public sealed class DemoPipelineTests
{
    private static DemoConfig Tiny => new()
    {
        Labels = TestPaths.DemoLabels,
        Seed = 5,
        MaxPatients = 20,
        BootstrapSamples = 50,
        Finetune = new FinetuneConfig(ImageSize: 32, BatchSize: 8, HeadOnlySteps: 3, FullSteps: 3),
        Mil = new MilConfig(Epochs: 5),
    };

    [Fact]
    public async Task CliDemoWritesResultsForBothBackbonesAndRerunGivesTheSameNumbers()
    {
        var dir = TestPaths.NewTempDirectory();
        var configPath = Path.Combine(dir, "tiny.json");
        File.WriteAllText(configPath, JsonSerializer.Serialize(Tiny, DemoConfig.Json));
        var outDir = Path.Combine(dir, "out");
        int code = await CliRunner.InvokeAsync(CliApp.BuildRoot(), ["demo", "--config", configPath, "--out", outDir]);
        Assert.Equal(0, code);
        Assert.True(File.Exists(Path.Combine(outDir, "summary.md")));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var backbones = json.RootElement.GetProperty("backbones").EnumerateArray().ToList();
        Assert.Equal(["transfer", "scratch"], backbones.Select(b => b.GetProperty("backbone").GetString()));
        foreach (var b in backbones)
        {
            Assert.InRange(b.GetProperty("patch_auc_test").GetDouble(), 0, 1);
            Assert.InRange(b.GetProperty("c_index").GetDouble(), 0, 1);
            Assert.Equal(6, b.GetProperty("optimizer_steps").GetInt32());
            Assert.Equal(6, b.GetProperty("finetune_loss").GetArrayLength());
        }
        var split = json.RootElement.GetProperty("split");
        var train = split.GetProperty("train").EnumerateArray().Select(e => e.GetString()).ToHashSet();
        Assert.Empty(split.GetProperty("test").EnumerateArray().Select(e => e.GetString()).Where(train.Contains));
        Assert.Equal(20, json.RootElement.GetProperty("cohort").GetProperty("patients").GetInt32());

        // Same seed, same numbers (library entry point this time).
        var again = new DemoPipeline(Tiny, CPU, PipelineLog.Silent).Run();
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(backbones[i].GetProperty("patch_auc_test").GetDouble(), again.Backbones[i].PatchAucTest, 12);
            Assert.Equal(backbones[i].GetProperty("c_index").GetDouble(), again.Backbones[i].CIndex, 12);
            Assert.Equal(backbones[i].GetProperty("finetune_loss")[5].GetDouble(), again.Backbones[i].FinetuneLoss[5], 12);
        }
        Assert.Equal(json.RootElement.GetProperty("references").GetProperty("oracle_c_index").GetDouble(), again.References.OracleCIndex, 12);
    }

    [Fact]
    public async Task MissingDataFailsWithoutCreatingTheOutputFolder()
    {
        var dir = TestPaths.NewTempDirectory();
        var outDir = Path.Combine(dir, "out");
        var missing = Path.Combine(dir, "no-such-folder", "labels.csv");
        int code = await CliRunner.InvokeAsync(CliApp.BuildRoot(), ["demo", "--labels", missing, "--out", outDir]);
        Assert.NotEqual(0, code);
        Assert.False(Directory.Exists(outDir));
        Assert.Empty(Directory.GetDirectories(dir).Where(d => Path.GetFileName(d).Contains("partial")));
        var ex = Assert.Throws<UserInputException>(() => new DemoPipeline(Tiny with { Labels = missing }, CPU, PipelineLog.Silent).Run());
        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public async Task UnreadableImageIsNamedWithItsRowAndLeavesNoOutput()
    {
        var dir = TestPaths.NewTempDirectory();
        var source = File.ReadAllLines(TestPaths.DemoLabels);
        var root = Path.GetDirectoryName(TestPaths.DemoLabels)!;
        var lines = new List<string> { source[0] };
        lines.AddRange(source.Skip(1).Select(l => Path.Combine(root, l.Split(',')[0]) + l[l.IndexOf(',')..]));
        File.WriteAllText(Path.Combine(dir, "broken.png"), "not an image");
        lines[10] = "broken.png" + lines[10][lines[10].IndexOf(',')..];
        var labels = Path.Combine(dir, "labels.csv");
        File.WriteAllLines(labels, lines);
        var outDir = Path.Combine(dir, "out");
        int code = await CliRunner.InvokeAsync(CliApp.BuildRoot(), ["demo", "--labels", labels, "--out", outDir]);
        Assert.NotEqual(0, code);
        Assert.False(Directory.Exists(outDir));
        var ex = Assert.Throws<UserInputException>(() => new DemoPipeline(Tiny with { Labels = labels, MaxPatients = 0 }, CPU, PipelineLog.Silent).Run());
        Assert.Contains("row 11", ex.Message);
        Assert.Contains("broken.png", ex.Message);
    }

    [Fact]
    public void TableWithoutLabelColumnIsRejected()
    {
        var dir = TestPaths.NewTempDirectory();
        var labels = Path.Combine(dir, "labels.csv");
        File.WriteAllText(labels, "path,patient_id\na.png,1\n");
        var ex = Assert.Throws<UserInputException>(() => new DemoPipeline(Tiny with { Labels = labels }, CPU, PipelineLog.Silent).Run());
        Assert.Contains("'label'", ex.Message);
        Assert.Contains(labels, ex.Message);
    }

    [Fact]
    public async Task CudaRequestedWithoutCudaIsAClearError()
    {
        if (cuda.is_available()) return; // on a GPU machine the request is valid
        var ex = Assert.Throws<UserInputException>(() => HistoPrognosis.Models.ComputeDevice.Resolve("cuda"));
        Assert.Contains("CUDA", ex.Message);
        Assert.Equal(2, await CliRunner.InvokeAsync(CliApp.BuildRoot(), ["backbone", "check", "--device", "cuda"]));
    }
}
