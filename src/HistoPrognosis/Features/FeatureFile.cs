using HistoPrognosis.IO;
using PureHDF;

namespace HistoPrognosis.Features;

/// <summary>
/// One patient's patch features (N × D), patch positions (N × 2, level-0 x and y; −1 where the table has none) and
/// which of the patient's slides each patch is from (N; an index into <see cref="SlideNames"/>, −1 for a patch that
/// is not a slide region).
/// </summary>
public sealed record PatientFeatures(string PatientId, float[][] Features, long[,] Coords, long[] SlideIndices, IReadOnlyList<string> SlideNames)
{
    /// <summary>Patches without slide identity (image files): every slide index −1, no slide names.</summary>
    public PatientFeatures(string patientId, float[][] features, long[,] coords)
        : this(patientId, features, coords, Enumerable.Repeat(-1L, features.Length).ToArray(), []) { }
}

/// <summary>
/// CLAM/TRIDENT-layout HDF5 feature file: datasets <c>features</c> (float32, N × D), <c>coords</c> (int64, N × 2) and
/// <c>slide_index</c> (int64, N), with attributes naming the settings key, a hash of the patient's patch list (so a
/// reader can tell whether the file still matches) and <c>slide_names</c> (the patient's slide file names in
/// slide-index order, one per line). Written to a temporary name and renamed.
/// </summary>
public static class FeatureFile
{
    public static void Write(string path, PatientFeatures patient, string settingsKey, string patchesHash)
    {
        int n = patient.Features.Length, d = n == 0 ? 0 : patient.Features[0].Length;
        var features = new float[n, d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) features[i, j] = patient.Features[i][j];
        var dataset = new H5Dataset(features);
        dataset.Attributes["settings_key"] = settingsKey;
        dataset.Attributes["patches_hash"] = patchesHash;
        dataset.Attributes["patient_id"] = patient.PatientId;
        // One string, lines in slide-index order: file names cannot hold a line break.
        dataset.Attributes["slide_names"] = string.Join('\n', patient.SlideNames);
        var file = new H5File { ["features"] = dataset, ["coords"] = new H5Dataset(patient.Coords), ["slide_index"] = new H5Dataset(patient.SlideIndices) };
        AtomicFile.Write(path, temp => file.Write(temp));
    }

    /// <summary>The file's features when it exists and was made with these settings from this patch list; otherwise null.</summary>
    public static PatientFeatures? TryRead(string path, string patientId, string settingsKey, string patchesHash)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var file = H5File.OpenRead(path);
            var features = file.Dataset("features");
            var attributes = features.Attributes().ToDictionary(a => a.Name, a => a.Read<string>());
            if (attributes.GetValueOrDefault("settings_key") != settingsKey || attributes.GetValueOrDefault("patches_hash") != patchesHash) return null;
            var dims = features.Space.Dimensions;
            int n = (int)dims[0], d = (int)dims[1];
            var flat = n == 0 ? [] : features.Read<float[]>();
            var rows = Enumerable.Range(0, n).Select(i => flat.AsSpan(i * d, d).ToArray()).ToArray();
            var coordsFlat = n == 0 ? [] : file.Dataset("coords").Read<long[]>();
            var coords = new long[n, 2];
            for (int i = 0; i < n; i++) { coords[i, 0] = coordsFlat[2 * i]; coords[i, 1] = coordsFlat[2 * i + 1]; }
            // A file from before slide indices were stored holds image-file patches only (region patches hash differently).
            if (!attributes.TryGetValue("slide_names", out var names) || names is null) return new PatientFeatures(patientId, rows, coords);
            var slideIndices = n == 0 ? [] : file.Dataset("slide_index").Read<long[]>();
            if (slideIndices.Length != n) return null;
            return new PatientFeatures(patientId, rows, coords, slideIndices, names.Length == 0 ? [] : names.Split('\n'));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null; // unreadable (e.g. truncated by a crash in another tool): recompute rather than fail
        }
    }
}
