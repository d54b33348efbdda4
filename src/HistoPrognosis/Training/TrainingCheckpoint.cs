using System.Text.Json;
using HistoPrognosis.IO;
using HistoPrognosis.Models;

namespace HistoPrognosis.Training;

/// <summary>Progress of a run that a checkpoint records.</summary>
public sealed class TrainingState
{
    public int Step { get; set; }
    public int BestStep { get; set; }
    public double BestValue { get; set; } = double.NegativeInfinity;
    public double SecondsBeforeResume { get; set; }
    public List<StepLoss> Losses { get; set; } = [];
    public List<EvaluationPoint> Evaluations { get; set; } = [];
}

/// <summary>
/// Last and best weights as safetensors (PyTorch-readable) plus the run's progress as JSON, each written to a
/// temporary name and renamed. Resuming reloads the last weights and continues after the recorded step (the
/// data order is replayed from the seed; the optimizer's moments restart from zero for the remaining steps).
/// </summary>
public sealed class TrainingCheckpoint(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private string LastWeights => Path.Combine(directory, "last.safetensors");
    private string BestWeights => Path.Combine(directory, "best.safetensors");
    private string StatePath => Path.Combine(directory, "trainer-state.json");

    public TrainingState? TryResume(PatchClassifier model, PipelineLog log)
    {
        if (!File.Exists(StatePath) || !File.Exists(LastWeights)) return null;
        var state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(StatePath), Json)
                    ?? throw new UserInputException($"{StatePath}: empty checkpoint state");
        SafetensorsWeights.Load(model, LastWeights);
        log.Info($"resuming from {LastWeights} after step {state.Step}");
        return state;
    }

    public void Save(PatchClassifier model, TrainingState state)
    {
        Directory.CreateDirectory(directory);
        SafetensorsWeights.Save(model, LastWeights);
        AtomicFile.WriteAllText(StatePath, JsonSerializer.Serialize(state, Json));
    }

    public void SaveBest(PatchClassifier model)
    {
        Directory.CreateDirectory(directory);
        SafetensorsWeights.Save(model, BestWeights);
    }

    public void RestoreBest(PatchClassifier model)
    {
        if (File.Exists(BestWeights)) SafetensorsWeights.Load(model, BestWeights);
    }
}
