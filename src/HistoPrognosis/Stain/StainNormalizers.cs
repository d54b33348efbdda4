namespace HistoPrognosis.Stain;

/// <summary>Creates normalizers by method name and restores them from saved fits.</summary>
public static class StainNormalizers
{
    public static IReadOnlyList<string> Methods { get; } = ["reinhard", "macenko", "vahadane", "ruifrok"];

    /// <summary>A new, unfitted normalizer with the default (TIAToolbox) settings.</summary>
    public static IStainNormalizer Create(string method) => method.ToLowerInvariant() switch
    {
        "reinhard" => new Reinhard(),
        "macenko" => new Macenko(),
        "vahadane" => new Vahadane(),
        "ruifrok" => new Ruifrok(),
        _ => throw new UserInputException($"unknown stain normalization method '{method}' (expected one of: {string.Join(", ", Methods)})"),
    };

    /// <summary>A normalizer restored from a fit file; <paramref name="method"/>, when given, must match the file.</summary>
    public static IStainNormalizer Load(string path, string? method = null)
    {
        var fit = StainFit.Load(path);
        try
        {
            var normalizer = Create(method ?? fit.Method);
            normalizer.Load(fit);
            return normalizer;
        }
        catch (UserInputException ex)
        {
            throw new UserInputException($"{path}: {ex.Message}", ex);
        }
    }
}
