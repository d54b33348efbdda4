using System.Text.Json;
using HistoPrognosis.IO;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Stain;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Training.EndToEnd;

/// <summary>
/// Everything but the weights of a saved end-to-end model (<c>end-to-end.json</c>): the backbone it started from
/// (its architecture is rebuilt from it, then every weight is replaced), input size and stain normalization, the
/// training settings, the head calibration, the clinical encoding fitted on the training patients, the model card
/// line, the training patients, and the feature settings of the fine-tuned backbone: <c>--backbone MODEL_DIR</c>
/// extracts into the cache folder of that key.
/// </summary>
public sealed record EndToEndManifest(int Version, string Backbone, long BackboneSeed, int ImageSize, StainConfig Stain, EndToEndSetup Config,
    SurvivalHeadState Head, Data.ClinicalEncoder Clinical, string Description, int BestStep, string[] TrainingPatients, Features.FeatureSettings? Features = null);

/// <summary>
/// A model directory: <c>end-to-end.json</c> and <c>model.safetensors</c> (backbone, norm, projection and MIL weights,
/// PyTorch-readable; the backbone's under <c>backbone.</c>), plus <c>losses.csv</c> and <c>metrics.csv</c>. A
/// <c>config.json</c> naming the starting backbone makes the folder a backbone too, in the layout of
/// <c>histoprog finetune</c>: <c>--backbone MODEL_DIR</c> extracts features with the fine-tuned weights (two-stage
/// MIL on end-to-end features). The caller stages and commits the directory.
/// </summary>
public static class EndToEndModelFile
{
    public const int Version = 3; // 2: the PCA-initialised projection between LayerNorm and the aggregator; 3: clinical fusion
    public const string ManifestName = "end-to-end.json", WeightsName = "model.safetensors", BackboneConfigName = "config.json";

    public static bool IsModelDirectory(string directory) => File.Exists(Path.Combine(directory, ManifestName));

    public static void Save(string directory, EndToEndModel model, EndToEndManifest manifest)
    {
        Directory.CreateDirectory(directory);
        string In(string name) => Path.Combine(directory, name);
        AtomicFile.WriteAllText(In(ManifestName), JsonSerializer.Serialize(manifest, JsonDefaults.Options));
        SafetensorsWeights.Save(model.Network, In(WeightsName));
        var asBackbone = new { backbone = manifest.Backbone, architecture = model.Network.Backbone.Describe(), image_size = manifest.ImageSize,
            output = $"an end-to-end prognosis model ({ManifestName}); as --backbone its fine-tuned backbone ({WeightsName}, keys backbone.*)" };
        AtomicFile.WriteAllText(In(BackboneConfigName), JsonSerializer.Serialize(asBackbone, JsonDefaults.Options));
        var history = model.History;
        CsvFile.Write(In("losses.csv"), ["step", "phase", "loss"], (history?.Losses ?? []).Select(l => new object?[] { l.Step, l.Phase, l.Loss }));
        CsvFile.Write(In("metrics.csv"), ["step", "validation_c"], (history?.Evaluations ?? []).Select(e => new object?[] { e.Step, e.Value }));
    }

    public static (EndToEndModel Model, EndToEndManifest Manifest) Load(string directory, Device device)
    {
        var path = Path.Combine(directory, ManifestName);
        if (!File.Exists(path)) throw new UserInputException($"{directory}: not an end-to-end model directory ({ManifestName} not found)");
        EndToEndManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<EndToEndManifest>(File.ReadAllText(path), JsonDefaults.Options) ?? throw new UserInputException($"{path}: empty");
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{path}: not a readable end-to-end model manifest ({ex.Message})", ex);
        }
        if (manifest.Version != Version) throw new UserInputException($"{path}: model format version {manifest.Version}, this build reads {Version}");
        var head = SurvivalHead.FromState(manifest.Head);
        var network = new EndToEndNetwork(BackboneFactory.Create(manifest.Backbone, manifest.BackboneSeed), manifest.Config.Model, head.OutputCount, manifest.Clinical.Width);
        try
        {
            SafetensorsWeights.Load(network, Path.Combine(directory, WeightsName));
            network.to(device);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return (new EndToEndModel(network, head, manifest.Config, device), manifest);
    }
}
