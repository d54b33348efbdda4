namespace HistoPrognosis.Tests;

/// <summary>Locations of fixtures and the repository's embedded demo data.</summary>
public static class TestPaths
{
    public static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "HistoPrognosis.sln"))) return dir.FullName;
            throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    public static string DemoLabels => Path.Combine(RepositoryRoot, "data", "idc-demo", "labels.csv");

    public static string NewTempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "histoprog-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
