using System.Text.Json;
using HistoPrognosis.IO;
using HistoPrognosis.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Training;

/// <summary>Progress of a run that a checkpoint records: everything besides weights and optimizer moments that the remaining steps depend on.</summary>
public sealed class TrainingState
{
    /// <summary>Optimizer steps done (over all phases).</summary>
    public int Step { get; set; }
    /// <summary>Phase of the last step done; its optimizer's moments are in the checkpoint.</summary>
    public int Phase { get; set; }
    public int BestStep { get; set; }
    public double BestValue { get; set; } = double.NegativeInfinity;
    /// <summary>Evaluations since the best one (early stopping).</summary>
    public int SinceBest { get; set; }
    /// <summary>Early stopping has ended the run: a resume must not take further steps.</summary>
    public bool Stopped { get; set; }
    /// <summary>Wall time so far; kept in its own file (<see cref="TrainingCheckpoint.TimingFile"/>) so the state's bytes do not depend on the machine.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double SecondsBeforeResume { get; set; }
    public List<StepLoss> Losses { get; set; } = [];
    public List<EvaluationPoint> Evaluations { get; set; } = [];
    /// <summary>Key of the settings and data the run was started with: a checkpoint of another run is never resumed.</summary>
    public string? Settings { get; set; }
}

/// <summary>
/// Checkpoints a run so that a process killed at any moment resumes bit-identically. Each checkpoint is one folder
/// <c>step-NNNNNN</c> holding the weights (safetensors, PyTorch-readable), the AdamW moments and the
/// <see cref="TrainingState"/>; it is written under a temporary name and renamed, so a folder with the final name is
/// complete and the newest one is the resume point. The best weights so far are <c>best-NNNNNN.safetensors</c>
/// beside them, written before the checkpoint that names them. The data order is replayed from the seed and every
/// other random draw (augmentation, dropout) is seeded from the step, so weights + moments + state are the whole run state.
/// </summary>
/// <param name="settings">key of everything the run depends on (<see cref="Key"/>); checkpoints of other settings are discarded</param>
public sealed class TrainingCheckpoint(string directory, string settings)
{
    /// <summary>A short hash of the values a run depends on (configs, seed, the training data's identity).</summary>
    public static string Key(params object?[] parts) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(parts, Json))))[..16];

    /// <summary>The one file of a checkpoint (and of a fine-tuning output) whose bytes differ between runs: wall time.</summary>
    public const string TimingFile = "timing.json";

    private sealed record Timing(double Seconds);

    private const string Weights = "weights.safetensors", Moments = "optimizer.bin", StateFile = "state.json", Partial = ".partial";
    private static readonly JsonSerializerOptions Json = new(JsonDefaults.Options) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private string StepFolder(int step) => Path.Combine(directory, $"step-{step:D6}");
    private string BestFile(int step) => Path.Combine(directory, $"best-{step:D6}.safetensors");

    /// <summary>The newest complete checkpoint's state after loading its weights into <paramref name="model"/>; null when there is none.</summary>
    public TrainingState? TryResume(nn.Module model, PipelineLog log)
    {
        if (Newest() is not { } folder) return null;
        var statePath = Path.Combine(folder, StateFile);
        TrainingState state;
        try
        {
            state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(statePath), Json)
                    ?? throw new UserInputException($"{statePath}: empty checkpoint state");
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{statePath}: unreadable checkpoint state ({ex.Message}); delete {directory} to train from the start");
        }
        if (state.Settings != settings)
        {
            // Another run's (changed settings or data): resuming it would mix two runs. Start afresh.
            log.Info($"{directory} holds checkpoints of other settings; training from the start");
            Directory.Delete(directory, recursive: true);
            return null;
        }
        var timing = Path.Combine(folder, TimingFile);
        if (File.Exists(timing)) state.SecondsBeforeResume = JsonSerializer.Deserialize<Timing>(File.ReadAllText(timing), Json)?.Seconds ?? 0;
        SafetensorsWeights.Load(model, Path.Combine(folder, Weights));
        log.Info($"resuming from {folder} after step {state.Step}{(state.Stopped ? " (early stopping had ended the run)" : "")}");
        return state;
    }

    /// <summary>Loads the moments saved with the resume point into the optimizer of the phase they belong to.</summary>
    public void RestoreOptimizer(OptimizerHelper optimizer, TrainingState state)
    {
        var path = Path.Combine(StepFolder(state.Step), Moments);
        using var reader = new BinaryReader(File.OpenRead(path));
        optimizer.load_state_dict(reader);
    }

    /// <summary>Writes checkpoint <paramref name="state"/>.Step as one unit, then removes the older ones.</summary>
    public void Save(nn.Module model, OptimizerHelper optimizer, TrainingState state)
    {
        Directory.CreateDirectory(directory);
        var final = StepFolder(state.Step);
        var partial = final + Partial;
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        SafetensorsWeights.Save(model, Path.Combine(partial, Weights));
        using (var stream = File.Create(Path.Combine(partial, Moments)))
        using (var writer = new BinaryWriter(stream))
        {
            optimizer.save_state_dict(writer);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        state.Settings = settings;
        File.WriteAllText(Path.Combine(partial, StateFile), JsonSerializer.Serialize(state, Json));
        File.WriteAllText(Path.Combine(partial, TimingFile), JsonSerializer.Serialize(new Timing(state.SecondsBeforeResume), Json));
        CrashPoint.Hit("checkpoint.written");
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true); // a rerun rewriting the same step
        Directory.Move(partial, final);
        CrashPoint.Hit("checkpoint.committed");
        RemoveAllBut(state.Step, state.BestStep);
    }

    /// <summary>The best weights so far, for the checkpoint at <paramref name="step"/> to name.</summary>
    public void SaveBest(nn.Module model, int step) => SafetensorsWeights.Save(model, BestFile(step));

    public void RestoreBest(nn.Module model, int bestStep)
    {
        var path = BestFile(bestStep);
        if (!File.Exists(path)) throw new UserInputException($"{path}: the best weights named by the checkpoint are missing; delete {directory} to train from the start");
        SafetensorsWeights.Load(model, path);
    }

    private string? Newest()
    {
        if (!Directory.Exists(directory)) return null;
        return Directory.EnumerateDirectories(directory, "step-*")
            .Where(d => !d.EndsWith(Partial, StringComparison.Ordinal))
            .Where(d => File.Exists(Path.Combine(d, StateFile)))
            .OrderBy(d => d, StringComparer.Ordinal).LastOrDefault();
    }

    private void RemoveAllBut(int step, int bestStep)
    {
        foreach (var folder in Directory.EnumerateDirectories(directory, "step-*"))
            if (Path.GetFileName(folder) != Path.GetFileName(StepFolder(step))) Directory.Delete(folder, recursive: true);
        foreach (var file in Directory.EnumerateFiles(directory, "best-*.safetensors"))
            if (Path.GetFileName(file) != Path.GetFileName(BestFile(bestStep))) File.Delete(file);
        foreach (var file in Directory.EnumerateFiles(directory, ".*.tmp*"))
            File.Delete(file); // a temporary (FileNames.Temporary) left by a kill while the best weights were written
    }

}
