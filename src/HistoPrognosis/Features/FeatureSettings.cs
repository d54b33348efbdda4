using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using HistoPrognosis.Models;
using static TorchSharp.torch;

namespace HistoPrognosis.Features;

/// <summary>
/// Everything that determines a patch's features: the backbone (its spelling and a hash of its weights), its
/// preprocessing, the image size and the engine that ran it (engines agree only to float32 rounding, and a rerun
/// must give the same bytes). Its <see cref="Key"/> names the cache folder and is stored in every feature
/// file, so a changed setting never reuses stale features, and a model refuses features of another backbone.
/// </summary>
public sealed record FeatureSettings(string Backbone, string WeightsHash, string Preprocessing, int ImageSize, int Dimension,
    FeatureEngineKind Engine = FeatureEngineKind.TorchSharp)
{
    // v2: extraction left channels-last (it computed wrong features on some hosts), so no v1 file is ever reused.
    // v3: the engine is part of the key (files before it were all TorchSharp's).
    public string Key => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        $"features-v3\n{WeightsHash}\n{Preprocessing}\n{ImageSize}\n{Dimension}\n{Engine}")))[..20];

    /// <summary>A folder name a person can read: backbone, size and the key.</summary>
    public string FolderName
    {
        get
        {
            var name = new string(Backbone.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
            return $"{(name.Length > 40 ? name[..40] : name)}_{ImageSize}px_{Key}";
        }
    }

    /// <param name="stainKey">the stain normalization applied before the backbone ("none", or method and fit hash)</param>
    /// <param name="engine">the engine asked for; the settings hold what it resolves to on <paramref name="device"/></param>
    public static FeatureSettings Of(string backboneSpec, Backbone backbone, int imageSize, Device device, FeatureEngineKind engine, string stainKey = "none") =>
        new(backboneSpec, HashWeights(backbone), backbone.Describe() + StainPart(stainKey), imageSize, backbone.FeatureDimension,
            FeatureEngine.Resolve(engine, backbone, device));

    /// <summary>Whether these features were made with the stain normalization named by <paramref name="stainKey"/>.</summary>
    public bool MadeWithStain(string stainKey) =>
        stainKey == "none" ? !Preprocessing.Contains(StainMarker, StringComparison.Ordinal) : Preprocessing.EndsWith(StainPart(stainKey), StringComparison.Ordinal);

    private const string StainMarker = "; stain normalized";

    private static string StainPart(string stainKey) => stainKey == "none" ? "" : $"{StainMarker} ({stainKey})";

    /// <summary>SHA-256 over every parameter and buffer (name, dtype, shape, values), in name order.</summary>
    public static string HashWeights(nn.Module module)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, value) in module.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var scope = NewDisposeScope();
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}|{value.dtype}|{string.Join(",", value.shape)}|"));
            if (value.is_floating_point()) hash.AppendData(MemoryMarshal.AsBytes(value.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray().AsSpan()));
            else hash.AppendData(MemoryMarshal.AsBytes(value.detach().cpu().to_type(ScalarType.Int64).contiguous().data<long>().ToArray().AsSpan()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
