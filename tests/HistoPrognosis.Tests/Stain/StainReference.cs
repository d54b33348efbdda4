using System.Globalization;
using HistoPrognosis.Imaging;
using HistoPrognosis.Stain;

namespace HistoPrognosis.Tests.Stain;

/// <summary>
/// The TIAToolbox 2.0.1 reference in shared/data/stain-reference (see its PROVENANCE.txt and PARAMETERS.md). Read
/// in place, not copied: its PROVENANCE says nothing in it is to be committed into a project. Found as
/// shared/data/stain-reference in the test binary's folder or any folder above it (the repository's sibling
/// shared/ locally and in CI), or at $HISTOPROG_STAIN_REFERENCE.
/// </summary>
internal static class StainReference
{
    public static readonly string[] Sources = ["breakhis_benign", "breakhis_malignant", "crc_tum", "lc25000_colon_aca"];

    public static string Root { get; } = Locate();

    private static string Locate()
    {
        var overridden = Environment.GetEnvironmentVariable("HISTOPROG_STAIN_REFERENCE");
        if (!string.IsNullOrEmpty(overridden)) return overridden;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "stain-reference");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"shared/data/stain-reference not found above {AppContext.BaseDirectory}; set HISTOPROG_STAIN_REFERENCE");
    }

    public static string InputPath(string name) => Path.Combine(Root, "inputs", name + ".png");

    public static RgbImage Input(string name) => Cache.GetOrAdd(InputPath(name), p => ImageCodec.Read(p));

    public static RgbImage Output(string method, string source) =>
        Cache.GetOrAdd(Path.Combine(Root, "outputs", method, source + ".png"), p => ImageCodec.Read(p));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, RgbImage> Cache = new();

    /// <summary>matrices/&lt;method&gt;/&lt;name&gt;.csv: rows H, E; columns R, G, B.</summary>
    public static StainMatrix Matrix(string method, string name)
    {
        var rows = Rows(Path.Combine(Root, "matrices", method, name + ".csv"));
        return new StainMatrix(rows["H"], rows["E"]);
    }

    /// <summary>matrices/&lt;method&gt;/max_concentrations.csv row for an image: p99 of H and E.</summary>
    public static double[] MaxConcentrations(string method, string name) =>
        Rows(Path.Combine(Root, "matrices", method, "max_concentrations.csv"))[name];

    public static double[] LabMeanStd(string name) => Rows(Path.Combine(Root, "matrices", "reinhard", "lab_mean_std.csv"))[name];

    private static Dictionary<string, double[]> Rows(string path) =>
        File.ReadLines(path).Skip(1).Select(l => l.Split(','))
            .ToDictionary(f => f[0], f => f.Skip(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());

    /// <summary>Per-channel absolute differences between two images of the same size.</summary>
    public static PixelAgreement Compare(RgbImage actual, RgbImage expected)
    {
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.Height, actual.Height);
        int pixels = expected.Width * expected.Height, within1 = 0, max = 0;
        long sum = 0;
        for (int p = 0; p < pixels; p++)
        {
            int worst = 0;
            for (int c = 0; c < 3; c++)
            {
                int d = Math.Abs(actual.Pixels[3 * p + c] - expected.Pixels[3 * p + c]);
                worst = Math.Max(worst, d);
                sum += d;
            }
            if (worst <= 1) within1++;
            max = Math.Max(max, worst);
        }
        return new PixelAgreement((double)within1 / pixels, (double)sum / (3.0 * pixels), max);
    }

    /// <summary>Largest absolute difference between corresponding entries.</summary>
    public static double MaxDifference(StainMatrix a, StainMatrix b)
    {
        double max = 0;
        for (int s = 0; s < 2; s++)
        for (int c = 0; c < 3; c++) max = Math.Max(max, Math.Abs(a[s, c] - b[s, c]));
        return max;
    }
}

/// <summary>Share of pixels whose every channel is within ±1, mean absolute difference, largest difference.</summary>
internal readonly record struct PixelAgreement(double Within1, double MeanAbs, int Max)
{
    public override string ToString() => FormattableString.Invariant($"within±1 {Within1:P3}, mean |Δ| {MeanAbs:F3}, max {Max}");
}
