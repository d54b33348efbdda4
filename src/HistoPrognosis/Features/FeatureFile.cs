using PureHDF;

namespace HistoPrognosis.Features;

/// <summary>One patient's patch features (N × D) and patch positions (N × 2, x and y; −1 where the table has none).</summary>
public sealed record PatientFeatures(string PatientId, float[][] Features, long[,] Coords);

/// <summary>
/// CLAM/TRIDENT-layout HDF5 feature file: datasets <c>features</c> (float32, N × D) and <c>coords</c> (int64, N × 2),
/// with attributes naming the settings key and a hash of the patient's patch list, so a reader can tell whether the
/// file still matches. Written to a temporary name and renamed.
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
        var file = new H5File { ["features"] = dataset, ["coords"] = new H5Dataset(patient.Coords) };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            file.Write(temp);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
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
            return new PatientFeatures(patientId, rows, coords);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null; // unreadable (e.g. truncated by a crash in another tool): recompute rather than fail
        }
    }
}
