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

    private static readonly System.Collections.Concurrent.ConcurrentBag<string> Created = [];

    static TestPaths() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteCreated();

    /// <summary>A fresh folder under the temp path, removed when the test process exits (a run leaves no litter).</summary>
    public static string NewTempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "histoprog-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        Created.Add(dir);
        return dir;
    }

    private static void DeleteCreated()
    {
        foreach (var dir in Created)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a file still open elsewhere keeps its folder.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
