using System.Text.Json;

namespace HistoPrognosis.Studies;

/// <summary>A finished run of a study with the test-patch probabilities it produced.</summary>
public sealed record CompletedRun(StudyRun Run, float[] Probabilities);

/// <summary>
/// Lets a long study resume: each finished run is appended (one JSON line, flushed) to a file beside the output
/// folder, and a rerun with the same settings reuses those runs instead of training them again. The first line
/// holds the settings; a file from other settings is started afresh, and a line cut short by a crash is dropped.
/// </summary>
public sealed class StudyProgress
{
    private static readonly JsonSerializerOptions OneLine = new(HistoPrognosis.IO.JsonDefaults.Options) { WriteIndented = false };

    private readonly string _path;
    private readonly Dictionary<(string, int, int), CompletedRun> _done = [];

    public StudyProgress(string outputFolder, string settings)
    {
        var full = Path.GetFullPath(outputFolder).TrimEnd(Path.DirectorySeparatorChar);
        _path = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.progress.jsonl");
        CutUnfinishedLine(_path);
        var lines = File.Exists(_path) ? File.ReadAllLines(_path) : [];
        if (lines.Length > 0 && lines[0] == Header(settings))
        {
            foreach (var line in lines.Skip(1))
            {
                CompletedRun? run;
                try
                {
                    run = JsonSerializer.Deserialize<CompletedRun>(line, HistoPrognosis.IO.JsonDefaults.Options);
                }
                catch (JsonException)
                {
                    continue; // the last line of an interrupted write
                }
                if (run is not null) _done[Key(run.Run.Method, run.Run.TrainPatients, run.Run.Repeat)] = run;
            }
            return;
        }
        File.WriteAllText(_path, Header(settings) + "\n");
    }

    public string FilePath => _path;

    /// <summary>A kill during <see cref="Add"/> leaves a line without its newline: cut it, so the next run's line starts on its own.</summary>
    private static void CutUnfinishedLine(string path)
    {
        if (!File.Exists(path)) return;
        var bytes = File.ReadAllBytes(path);
        int end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (end == bytes.Length) return;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(end);
    }

    public int Count => _done.Count;

    public CompletedRun? Find(string method, int trainPatients, int repeat) => _done.GetValueOrDefault(Key(method, trainPatients, repeat));

    public void Add(CompletedRun run)
    {
        _done[Key(run.Run.Method, run.Run.TrainPatients, run.Run.Repeat)] = run;
        using var stream = new FileStream(_path, FileMode.Append, FileAccess.Write);
        using (var writer = new StreamWriter(stream))
            writer.WriteLine(JsonSerializer.Serialize(run, OneLine));
    }

    /// <summary>Removes the file once the study's output is complete.</summary>
    public void Complete() => File.Delete(_path);

    private static (string, int, int) Key(string method, int n, int repeat) => (method, n, repeat);

    private static string Header(string settings) => JsonSerializer.Serialize(new { settings });
}
