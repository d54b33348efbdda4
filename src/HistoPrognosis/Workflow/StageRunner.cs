using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HistoPrognosis.IO;

namespace HistoPrognosis.Workflow;

/// <summary>
/// Runs a workflow stage into its own folder unless that folder already holds the stage's output for the same
/// settings: a <c>stage.json</c> marker naming the stage's key (a hash of its settings, inputs and upstream keys) is
/// written last, so its presence means complete, and a changed setting or input redoes the stage and everything
/// after it. A killed run rerun with the same config resumes at the first unfinished stage.
/// </summary>
public sealed class StageRunner(PipelineLog log)
{
    public const string MarkerName = "stage.json";

    private sealed record Marker(string Stage, string Key);

    /// <summary>A stage key: SHA-256 over its parts (stage name, settings as YAML, input fingerprints, upstream keys).</summary>
    public static string Key(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n\u001f", parts))))[..24];

    /// <summary>Path, size and modification time of an input file (a changed file redoes the stages that read it).</summary>
    public static string Fingerprint(string? path)
    {
        if (path is null) return "-";
        var info = new FileInfo(path);
        return info.Exists ? $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}" : $"{Path.GetFullPath(path)}|missing";
    }

    /// <summary>SHA-256 of a file's bytes, for inputs that are rewritten with the same content.</summary>
    public static string ContentHash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static bool IsDone(string directory, string key)
    {
        var marker = Path.Combine(directory, MarkerName);
        if (!File.Exists(marker)) return false;
        try
        {
            return JsonSerializer.Deserialize<Marker>(File.ReadAllText(marker), JsonDefaults.Options)?.Key == key;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> into a staging folder committed as <paramref name="directory"/> when it succeeds
    /// (an earlier, stale folder of that name is replaced whole); skipped when the folder is up to date.
    /// </summary>
    /// <returns>True when the stage ran, false when its output was reused.</returns>
    public bool Run(string stage, string directory, string key, Action<string> body)
    {
        if (Reused(stage, directory, key)) return false;
        log.Info($"{stage}: running → {directory}");
        using var folder = new OutputFolder(directory);
        body(folder.Path);
        WriteMarker(folder.Path, stage, key);
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        folder.Commit();
        return true;
    }

    /// <summary>
    /// Like <see cref="Run"/> but the body writes into <paramref name="directory"/> itself, for stages that resume
    /// from their own checkpoints there (fine-tuning); a folder left by other settings is cleared first.
    /// </summary>
    public bool RunInPlace(string stage, string directory, string key, Action<string> body)
    {
        if (Reused(stage, directory, key)) return false;
        var keyFile = Path.Combine(directory, ".stage-key");
        if (Directory.Exists(directory) && (!File.Exists(keyFile) || File.ReadAllText(keyFile) != key)) Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(keyFile, key);
        log.Info($"{stage}: running in {directory}");
        body(directory);
        WriteMarker(directory, stage, key);
        return true;
    }

    private bool Reused(string stage, string directory, string key)
    {
        if (!IsDone(directory, key)) return false;
        log.Info($"{stage}: up to date in {directory}, reused");
        return true;
    }

    private static void WriteMarker(string folder, string stage, string key) =>
        AtomicFile.WriteAllText(Path.Combine(folder, MarkerName), JsonSerializer.Serialize(new Marker(stage, key), JsonDefaults.Options));
}
