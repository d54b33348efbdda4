using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HistoPrognosis.IO;

namespace HistoPrognosis.Work;

/// <summary>A unit's finished stage: who did it, when, and how long it took.</summary>
public sealed record DoneRecord(string Unit, WorkStage Stage, ClaimRecord Claim, DateTime FinishedUtc, double Seconds, bool Reused);

/// <summary>A unit's failed stage (a row of failures.csv).</summary>
public sealed record FailedRecord(string Unit, IReadOnlyList<string> Slides, WorkStage Stage, string Error, string Host, DateTime FailedUtc);

/// <summary>Counts of one stage for <c>histoprog status</c>.</summary>
public sealed record StageStatus(WorkStage Stage, int Done, int Claimed, int Failed, int Left);

/// <summary>
/// The bookkeeping of workers sharing one output folder, under <c>DIR/.work/</c>: <c>settings.json</c> (the key of
/// the per-slide settings and the unit count; a worker with another key is refused), <c>claims/UNIT.claim</c>
/// (<see cref="SharedClaim"/>), <c>STAGE/done/UNIT.json</c> and <c>STAGE/failed/UNIT.json</c> (written atomically;
/// done is the truth, written after the stage's outputs), and <c>journal/WORKER.csv</c>, one append-only file per
/// worker process (appends from several NFS clients to one file interleave, one writer per file does not) listing
/// every unit stage it processed. <c>DIR/failures.csv</c> is regenerated from the failed records.
/// </summary>
public sealed class WorkFolder
{
    public const string Name = ".work";
    private static readonly string[] JournalHeader = ["unit", "stage", "outcome", "host", "pid", "worker", "claimed_utc", "finished_utc", "seconds"];

    private sealed record Settings(string Key, int Units);

    private WorkFolder(string output)
    {
        Output = Path.GetFullPath(output);
        Root = Path.Combine(Output, Name);
    }

    public string Output { get; }
    public string Root { get; }
    public string FailuresCsv => Path.Combine(Output, "failures.csv");
    public string ClaimsFolder => Path.Combine(Root, "claims");
    public string JournalFolder => Path.Combine(Root, "journal");

    /// <summary>
    /// Opens (creating) the folder for workers with settings <paramref name="key"/> over <paramref name="units"/>
    /// units: a folder written under another key is refused, naming both keys; a folder that cannot be written is a
    /// clear error before any work starts.
    /// </summary>
    public static WorkFolder Open(string output, string key, int units)
    {
        var folder = new WorkFolder(output);
        var settingsPath = Path.Combine(folder.Root, "settings.json");
        try
        {
            Directory.CreateDirectory(folder.Root);
            var probe = Path.Combine(folder.Root, $".probe-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{folder.Output}: this worker cannot write the output folder ({ex.Message})");
        }
        PublishOnce(settingsPath, JsonSerializer.Serialize(new Settings(key, units), JsonDefaults.Options));
        var theirs = ReadSettings(settingsPath);
        if (theirs.Key != key)
            throw new UserInputException($"{settingsPath}: {folder.Output} was written by another config (settings key {theirs.Key}, this config's is {key}); use another --out or remove that folder");
        return folder;
    }

    /// <summary>
    /// Pins the settings of a model stage (predict, heatmap) in <c>.work/STAGE/settings.json</c>: the model's hash and
    /// the stage's own settings, apart from the per-slide key, so a folder tiled and extracted first takes a model
    /// later. The first worker names them; a worker with another key (another model, or other settings) is refused,
    /// naming both, before it does any work.
    /// </summary>
    /// <param name="describes">what the key stands for, for a person (e.g. the model folder)</param>
    public void OpenStage(WorkStage stage, string key, string describes)
    {
        var path = StageSettingsPath(stage);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        PublishOnce(path, JsonSerializer.Serialize(new StageSettings(key, describes), JsonDefaults.Options));
        StageSettings theirs;
        try
        {
            theirs = JsonSerializer.Deserialize<StageSettings>(File.ReadAllText(path), JsonDefaults.Options) is { Key.Length: > 0 } t ? t : throw new JsonException("no key");
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{path}: corrupt {Stage(stage)} stage settings ({ex.Message}); remove {Path.GetDirectoryName(path)} only if no worker uses it");
        }
        if (theirs.Key != key)
            throw new UserInputException($"{path}: the {Stage(stage)} stage of {Output} was run with {theirs.Describes} (key {theirs.Key}); this worker has {describes} (key {key}). " +
                                         $"Use another --out, or remove {Path.GetDirectoryName(path)} and that stage's outputs to redo it with this model");
    }

    /// <summary>Whether a stage belongs to this folder: the slide stages always, a model stage once a worker pinned its settings.</summary>
    public bool InUse(WorkStage stage) => !stage.NeedsModel() || File.Exists(StageSettingsPath(stage));

    private string StageSettingsPath(WorkStage stage) => Path.Combine(Root, Stage(stage), "settings.json");

    private sealed record StageSettings(string Key, string Describes);

    // Create-exclusive publication (a rename that never replaces): the first writer's text stays, later ones read it.
    private static void PublishOnce(string path, string text)
    {
        var temp = FileNames.Temporary(path);
        File.WriteAllText(temp, text);
        try { File.Move(temp, path, overwrite: false); }
        catch (IOException) when (File.Exists(path)) { }
        finally { if (File.Exists(temp)) File.Delete(temp); }
    }

    /// <summary>An existing work folder (for <c>histoprog status</c>).</summary>
    public static WorkFolder Existing(string output)
    {
        var folder = new WorkFolder(output);
        if (!File.Exists(Path.Combine(folder.Root, "settings.json")))
            throw new UserInputException($"{folder.Output}: no per-slide work here (no {Path.Combine(Name, "settings.json")}); run histoprog work first");
        return folder;
    }

    private static Settings ReadSettings(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Settings>(File.ReadAllText(path), JsonDefaults.Options) is { Key.Length: > 0 } s ? s
                : throw new JsonException("no key");
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{path}: corrupt work settings ({ex.Message}); remove the output folder's {Name} folder only if no worker uses it");
        }
    }

    /// <summary>A file name for any unit id: the id itself when it is tame, else a hash of it.</summary>
    public static string UnitFile(string id) =>
        id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && id.Length <= 100 && !id.StartsWith('.')
            ? id : "id-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..24];

    public string ClaimPath(string unit) => Path.Combine(ClaimsFolder, UnitFile(unit));

    private string DonePath(WorkStage stage, string unit) => Path.Combine(Root, Stage(stage), "done", UnitFile(unit) + ".json");

    private string FailedPath(WorkStage stage, string unit) => Path.Combine(Root, Stage(stage), "failed", UnitFile(unit) + ".json");

    private static string Stage(WorkStage stage) => stage.ToString().ToLowerInvariant();

    public bool IsDone(WorkStage stage, string unit) => File.Exists(DonePath(stage, unit));

    public bool HasFailed(WorkStage stage, string unit) => File.Exists(FailedPath(stage, unit));

    public void MarkDone(DoneRecord record)
    {
        AtomicFile.WriteAllText(DonePath(record.Stage, record.Unit), JsonSerializer.Serialize(record, JsonDefaults.Options));
        var failed = FailedPath(record.Stage, record.Unit);
        if (File.Exists(failed)) File.Delete(failed);
    }

    public void MarkFailed(FailedRecord record) =>
        AtomicFile.WriteAllText(FailedPath(record.Stage, record.Unit), JsonSerializer.Serialize(record, JsonDefaults.Options));

    public IReadOnlyList<DoneRecord> Done(WorkStage stage) => ReadAll<DoneRecord>(Path.Combine(Root, Stage(stage), "done"));

    public IReadOnlyList<FailedRecord> Failures() =>
        Enum.GetValues<WorkStage>().SelectMany(s => ReadAll<FailedRecord>(Path.Combine(Root, Stage(s), "failed"))).OrderBy(f => f.Unit, StringComparer.Ordinal).ToList();

    /// <summary>Rewrites failures.csv (slide, stage, error, host) from the failed records; removed when there are none.</summary>
    public void WriteFailuresCsv()
    {
        var failures = Failures();
        if (failures.Count == 0)
        {
            if (File.Exists(FailuresCsv)) File.Delete(FailuresCsv);
            return;
        }
        CsvFile.Write(FailuresCsv, ["slide", "stage", "error", "host"],
            failures.SelectMany(f => f.Slides.Select(slide => new object?[] { slide, Stage(f.Stage), f.Error, f.Host })));
    }

    /// <summary>
    /// Per stage in use (<see cref="InUse"/>): units done, claimed now by a live worker (record present), failed, and
    /// left.
    /// </summary>
    public IReadOnlyList<StageStatus> Status()
    {
        var units = ReadSettings(Path.Combine(Root, "settings.json")).Units;
        var claimed = Directory.Exists(ClaimsFolder)
            // Names starting with '.' are records a killed worker wrote but never linked (FileNames.Temporary keeps the
            // ".claim" extension); no unit file starts with '.', so they are not claims.
            ? Directory.EnumerateFiles(ClaimsFolder, "*" + SharedClaim.Suffix).Select(Path.GetFileName).Where(n => !n!.StartsWith('.'))
                .Select(n => n![..^SharedClaim.Suffix.Length]).ToHashSet(StringComparer.Ordinal)
            : [];
        var result = new List<StageStatus>();
        foreach (var stage in Enum.GetValues<WorkStage>().Where(InUse))
        {
            var done = Done(stage).Select(d => UnitFile(d.Unit)).ToHashSet(StringComparer.Ordinal);
            var failed = ReadAll<FailedRecord>(Path.Combine(Root, Stage(stage), "failed")).Select(f => UnitFile(f.Unit)).Where(u => !done.Contains(u)).ToHashSet(StringComparer.Ordinal);
            int inFlight = claimed.Count(u => !done.Contains(u) && !failed.Contains(u));
            result.Add(new StageStatus(stage, done.Count, inFlight, failed.Count, Math.Max(0, units - done.Count - failed.Count - inFlight)));
        }
        return result;
    }

    /// <summary>Every processed unit stage from all workers' journals: (unit, stage, outcome, host, pid, worker).</summary>
    public IReadOnlyList<string[]> JournalRows()
    {
        if (!Directory.Exists(JournalFolder)) return [];
        var rows = new List<string[]>();
        foreach (var file in Directory.EnumerateFiles(JournalFolder, "*.csv").Order(StringComparer.Ordinal))
            rows.AddRange(File.ReadLines(file).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')));
        return rows;
    }

    /// <summary>This worker process's journal: one file, appended and flushed line by line.</summary>
    public StreamWriter OpenJournal(WorkerIdentity who)
    {
        Directory.CreateDirectory(JournalFolder);
        var path = Path.Combine(JournalFolder, $"{UnitFile(who.Host)}-{who.Pid}-{who.StartedUtc.Ticks}.csv");
        bool fresh = !File.Exists(path);
        var writer = new StreamWriter(path, append: true, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        if (fresh) writer.WriteLine(string.Join(',', JournalHeader));
        return writer;
    }

    private static List<T> ReadAll<T>(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var list = new List<T>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                if (JsonSerializer.Deserialize<T>(File.ReadAllText(file), JsonDefaults.Options) is { } r) list.Add(r);
            }
            catch (JsonException ex)
            {
                throw new UserInputException($"{file}: corrupt work record ({ex.Message}); delete it to redo that unit");
            }
        }
        return list;
    }
}
