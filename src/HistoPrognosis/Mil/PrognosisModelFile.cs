using System.Text.Json;
using System.Text.Json.Serialization;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Models;
using HistoPrognosis.IO;
using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>Everything but the weights of a saved prognosis model (<c>model.json</c>).</summary>
public sealed record PrognosisManifest(int Version, FeatureSettings Features, long BackboneSeed, PrognosisConfig Config,
    FeatureProjectionState Projection, SurvivalHeadState Head, ClinicalEncoder Clinical, int BestEpoch, string[] TrainingPatients,
    Stain.StainConfig? Stain = null);

/// <summary>
/// A model directory: <c>model.json</c> (settings, feature projection, head calibration, clinical encoding, the
/// feature settings it was trained on) and <c>network.safetensors</c> (PyTorch-readable weights). Written through a
/// staging folder, so a failed save leaves nothing.
/// </summary>
public static class PrognosisModelFile
{
    public const int Version = 1;
    public const string ManifestName = "model.json", WeightsName = "network.safetensors";

    private static JsonSerializerOptions Json => JsonDefaults.Options;

    /// <summary>Writes the model files into <paramref name="directory"/> (the caller stages and commits it).</summary>
    public static void Save(string directory, PrognosisModel model, FeatureSettings features, long backboneSeed, string[] trainingPatients, Stain.StainConfig stain)
    {
        Directory.CreateDirectory(directory);
        string In(string name) => Path.Combine(directory, name);
        var manifest = new PrognosisManifest(Version, features, backboneSeed, model.Config, model.Projection.State, model.Head.State,
            model.Clinical, model.BestEpoch, trainingPatients, stain);
        File.WriteAllText(In(ManifestName), JsonSerializer.Serialize(manifest, Json));
        SafetensorsWeights.Save(model.Network, In(WeightsName));
        CsvFile.Write(In("loss-curve.csv"), ["epoch", "train_loss", "validation_loss"], model.LossCurve.Select((l, i) => new object?[] { i + 1, l.Train, l.Validation }));
    }

    public static PrognosisManifest ReadManifest(string directory)
    {
        var path = Path.Combine(directory, ManifestName);
        if (!File.Exists(path)) throw new UserInputException($"{directory}: not a model directory ({ManifestName} not found)");
        try
        {
            var manifest = JsonSerializer.Deserialize<PrognosisManifest>(File.ReadAllText(path), Json) ?? throw new UserInputException($"{path}: empty");
            if (manifest.Version != Version) throw new UserInputException($"{path}: model format version {manifest.Version}, this build reads {Version}");
            return manifest;
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{path}: not a readable model manifest ({ex.Message})", ex);
        }
    }

    public static (PrognosisModel Model, PrognosisManifest Manifest) Load(string directory, Device device)
    {
        var manifest = ReadManifest(directory);
        if (manifest.Projection.Mean.Length != manifest.Features.Dimension)
            throw new UserInputException($"{directory}: the feature projection expects {manifest.Projection.Mean.Length} dimensions but the features have {manifest.Features.Dimension}");
        var projection = FeatureProjection.FromState(manifest.Projection, device);
        var head = SurvivalHead.FromState(manifest.Head);
        var network = PrognosisModel.CreateNetwork(manifest.Config, projection.OutputDimension, manifest.Clinical.Width, head.OutputCount, device);
        SafetensorsWeights.Load(network, Path.Combine(directory, WeightsName));
        return (PrognosisModel.Restore(manifest.Config, projection, network, head, manifest.Clinical, manifest.BestEpoch), manifest);
    }
}
