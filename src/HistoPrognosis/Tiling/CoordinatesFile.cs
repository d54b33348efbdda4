using HistoPrognosis.IO;
using PureHDF;

namespace HistoPrognosis.Tiling;

/// <summary>The contents of a coordinates file: level-0 tile corners and the attributes of the <c>coords</c> dataset.</summary>
public sealed record TileCoordinates(long[,] Coords, IReadOnlyDictionary<string, object> Attributes)
{
    public int Count => Coords.GetLength(0);
    public long PatchSize => Convert.ToInt64(Attributes["patch_size"]);
    public long PatchLevel => Convert.ToInt64(Attributes["patch_level"]);
}

/// <summary>
/// CLAM-layout HDF5 coordinates file: dataset <c>coords</c> (int64, N × 2, (x, y) of each tile's top-left corner in
/// level-0 pixels) with attributes <c>patch_size</c> (side read at <c>patch_level</c>) and <c>patch_level</c>, plus ours
/// (target µm/px, tile size, overlap, thresholds, QC counts, the settings key). Written to a temporary file, then renamed.
/// </summary>
public static class CoordinatesFile
{
    public static void Write(string path, long[,] coords, IReadOnlyDictionary<string, object> attributes)
    {
        if (coords.GetLength(1) != 2) throw new ArgumentException("coords must be N × 2", nameof(coords));
        foreach (var required in new[] { "patch_size", "patch_level" })
            if (!attributes.ContainsKey(required)) throw new ArgumentException($"attribute {required} is required", nameof(attributes));
        var dataset = new H5Dataset(coords);
        foreach (var (k, v) in attributes) dataset.Attributes[k] = v;
        var file = new H5File { ["coords"] = dataset };
        AtomicFile.Write(path, temp => file.Write(temp));
    }

    /// <summary>Reads a coordinates file (ours or CLAM's); throws <see cref="UserInputException"/> naming the file when it is not one.</summary>
    public static TileCoordinates Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"coordinates file not found: {path}");
        try
        {
            using var file = H5File.OpenRead(path);
            var ds = file.Dataset("coords");
            var dims = ds.Space.Dimensions;
            if (dims.Length != 2 || dims[1] != 2) throw new UserInputException($"{path}: dataset coords is not N × 2");
            var flat = dims[0] == 0 ? [] : ds.Read<long[]>();
            var coords = new long[dims[0], 2];
            for (int i = 0; i < (int)dims[0]; i++) { coords[i, 0] = flat[2 * i]; coords[i, 1] = flat[2 * i + 1]; }
            var attrs = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var a in ds.Attributes())
                attrs[a.Name] = a.Type.Class switch
                {
                    H5DataTypeClass.String or H5DataTypeClass.VariableLength => a.Read<string>(),
                    H5DataTypeClass.FloatingPoint => a.Read<double>(),
                    _ => a.Read<long>(),
                };
            return new TileCoordinates(coords, attrs);
        }
        catch (Exception ex) when (ex is not UserInputException && ex is not OutOfMemoryException)
        {
            throw new UserInputException($"{path}: not a readable coordinates file ({ex.Message})", ex);
        }
    }
}
