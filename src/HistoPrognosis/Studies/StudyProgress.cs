using System.Text.Json;

namespace HistoPrognosis.Studies;

/// <summary>A finished run of a study, identified by its arm (method), training size and repeat.</summary>
public interface IStudyRecord
{
    [System.Text.Json.Serialization.JsonIgnore]
    (string Arm, int TrainPatients, int Repeat) Key { get; }
}

/// <summary>A finished run of the patch transfer study with the test-patch probabilities it produced.</summary>
public sealed record CompletedRun(StudyRun Run, float[] Probabilities) : IStudyRecord
{
    public (string Arm, int TrainPatients, int Repeat) Key => (Run.Method, Run.TrainPatients, Run.Repeat);
}

/// <summary>The patch transfer study's progress file.</summary>
public sealed class StudyProgress(string outputFolder, string settings) : StudyProgress<CompletedRun>(outputFolder, settings);

/// <summary>
/// Lets a long study resume: each finished run is appended (one JSON line, flushed) to a file beside the output
/// folder, and a rerun with the same settings reuses those runs instead of training them again. The first line
/// holds the settings; a file from other settings is started afresh, and a line cut short by a crash is dropped.
/// </summary>
public class StudyProgress<TRun> where TRun : class, IStudyRecord
{
    private static readonly JsonSerializerOptions OneLine = new(HistoPrognosis.IO.JsonDefaults.Options) { WriteIndented = false };

    private readonly string _path;
    private readonly Dictionary<(string, int, int), TRun> _done = [];

    public StudyProgress(string outputFolder, string settings)
    {
        _path = HistoPrognosis.IO.OutputFolder.Beside(outputFolder, ".progress.jsonl");
        CutUnfinishedLine(_path);
        var lines = File.Exists(_path) ? File.ReadAllLines(_path) : [];
        if (lines.Length > 0 && lines[0] == Header(settings))
        {
            foreach (var line in lines.Skip(1))
            {
                TRun? run;
                try
                {
                    run = JsonSerializer.Deserialize<TRun>(line, HistoPrognosis.IO.JsonDefaults.Options);
                }
                catch (JsonException)
                {
                    continue; // the last line of an interrupted write
                }
                if (run is not null) _done[run.Key] = run;
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

    public TRun? Find(string method, int trainPatients, int repeat) => _done.GetValueOrDefault((method, trainPatients, repeat));

    public void Add(TRun run)
    {
        _done[run.Key] = run;
        using var stream = new FileStream(_path, FileMode.Append, FileAccess.Write);
        using (var writer = new StreamWriter(stream))
            writer.WriteLine(JsonSerializer.Serialize(run, OneLine));
    }

    /// <summary>Removes the file once the study's output is complete.</summary>
    public void Complete() => File.Delete(_path);

    private static string Header(string settings) => JsonSerializer.Serialize(new { settings });
}
