using HistoPrognosis.Data;

namespace HistoPrognosis.Tests.Data;

public sealed class PatchTableTests
{
    [Fact]
    public void LoadsTheEmbeddedDemoTable()
    {
        var table = PatchTable.Load(TestPaths.DemoLabels, requireLabel: true);
        Assert.Equal(2334, table.Patches.Count);
        Assert.Equal(716, table.Patches.Count(p => p.Label == 1));
        Assert.All(table.Patches.Take(20), p => Assert.True(File.Exists(p.Path), p.Path));
    }

    [Fact]
    public void MissingColumnIsNamedWithTheFile()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "labels.csv");
        File.WriteAllText(path, "path,patient\na.png,1\n");
        var ex = Assert.Throws<UserInputException>(() => PatchTable.Load(path, requireLabel: true));
        Assert.Contains(path, ex.Message);
        Assert.Contains("patient_id", ex.Message);
    }

    [Fact]
    public void BadLabelNamesRowAndColumn()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "labels.csv");
        File.WriteAllText(path, "path,patient_id,label\na.png,1,0\nb.png,1,yes\n");
        var ex = Assert.Throws<UserInputException>(() => PatchTable.Load(path, requireLabel: true));
        Assert.Contains("row 3", ex.Message);
        Assert.Contains("'label'", ex.Message);
    }

    [Fact]
    public void PredictionDoesNotNeedLabels()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "patches.csv");
        File.WriteAllText(path, "path,patient_id\n\"x, y.png\",7\n");
        var table = PatchTable.Load(path, requireLabel: false);
        Assert.Null(table.Patches[0].Label);
        Assert.Equal(Path.Combine(dir, "x, y.png"), table.Patches[0].Path);
    }
}
