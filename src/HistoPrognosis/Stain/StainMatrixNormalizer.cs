using System.Buffers;
using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>
/// The normalization TIAToolbox shares between Macenko, Vahadane and Ruifrok: concentrations of every pixel, each
/// stain rescaled so its 99th percentile matches the target's, and the image rebuilt with the target's stain matrix
/// (I = 255·exp(−C·M), clipped, truncated to bytes). Subclasses choose the extractor and how concentrations are
/// read (TIAToolbox's least squares unless given).
/// </summary>
public abstract class StainMatrixNormalizer(IStainExtractor extractor, IConcentrationSolver? concentrations = null) : IStainNormalizer
{
    /// <summary>Percentile of each stain's concentration used as its "maximum" (TIAToolbox: 99, over all pixels).</summary>
    public const double MaxConcentrationPercentile = 99;

    public IStainExtractor Extractor { get; } = extractor;

    public IConcentrationSolver ConcentrationSolver { get; } = concentrations ?? LeastSquaresConcentrations.Instance;

    public abstract string Method { get; }

    public StainMatrix? TargetStainMatrix { get; private set; }

    /// <summary>99th-percentile concentration of H and E in the target.</summary>
    public double[]? TargetMaxConcentrations { get; private set; }

    public bool IsFitted => TargetStainMatrix is not null;

    /// <summary>Settings that must agree between a saved fit and the normalizer that loads it.</summary>
    protected abstract IReadOnlyDictionary<string, double> Parameters { get; }

    public void Fit(RgbImage target)
    {
        TissueMask.Compute(target); // a target without tissue has nothing to normalize to
        var fitted = (StainMatrixSource)EstimateSource(target);
        TargetStainMatrix = fitted.Matrix;
        TargetMaxConcentrations = fitted.MaxConcentrations;
    }

    public RgbImage Transform(RgbImage image) => Transform(image, EstimateSource(image));

    public StainSource EstimateSource(RgbImage region)
    {
        var matrix = Extractor.Extract(region);
        int n = region.Width * region.Height;
        // Pooled: fresh arrays here would cost a megabyte of large-object heap per tile.
        var h = ArrayPool<double>.Shared.Rent(n);
        var e = ArrayPool<double>.Shared.Rent(n);
        try
        {
            ConcentrationSolver.Concentrations(region, matrix, h, e);
            return new StainMatrixSource(matrix, [Percentile.Linear(h.AsSpan(0, n), MaxConcentrationPercentile), Percentile.Linear(e.AsSpan(0, n), MaxConcentrationPercentile)]);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(h);
            ArrayPool<double>.Shared.Return(e);
        }
    }

    public RgbImage Transform(RgbImage image, StainSource source)
    {
        if (TargetStainMatrix is null || TargetMaxConcentrations is null) throw new InvalidOperationException($"{Method}: Fit or Load before Transform");
        if (source is not StainMatrixSource s) throw new ArgumentException($"{Method} needs a stain-matrix source, got {source.GetType().Name}", nameof(source));
        var sourceMax = s.MaxConcentrations;
        // A stain absent from the source (p99 ≤ 0) has nothing to rescale; TIAToolbox would divide by zero here.
        double scaleH = sourceMax[0] > 0 ? TargetMaxConcentrations[0] / sourceMax[0] : 1;
        double scaleE = sourceMax[1] > 0 ? TargetMaxConcentrations[1] / sourceMax[1] : 1;
        return ConcentrationSolver.Transfer(image, s.Matrix, TargetStainMatrix, scaleH, scaleE);
    }

    public StainFit ExportFit()
    {
        if (TargetStainMatrix is null || TargetMaxConcentrations is null) throw new InvalidOperationException($"{Method}: not fitted");
        return new StainFit
        {
            Method = Method,
            Parameters = new Dictionary<string, double>(Parameters),
            StainMatrix = TargetStainMatrix.ToRows(),
            MaxConcentrations = [.. TargetMaxConcentrations],
        };
    }

    public void Load(StainFit fit)
    {
        fit.RequireCompatible(Method, Parameters);
        if (fit.StainMatrix is not { Length: 2 } rows || rows.Any(r => r is not { Length: 3 }))
            throw new UserInputException("field 'stainMatrix' must be 2 rows (H, E) of 3 numbers (R, G, B)");
        if (fit.MaxConcentrations is not { Length: 2 } max || max.Any(v => !double.IsFinite(v) || v <= 0))
            throw new UserInputException("field 'maxConcentrations' must be 2 positive numbers (H, E)");
        try
        {
            TargetStainMatrix = new StainMatrix(rows[0], rows[1]);
        }
        catch (ArgumentException ex)
        {
            throw new UserInputException($"field 'stainMatrix': {ex.Message}");
        }
        TargetMaxConcentrations = [.. max];
    }
}

/// <summary>Macenko normalization (SVD-plane angles), TIAToolbox defaults: luminosity 0.8, angular percentile 99.</summary>
public sealed class Macenko(double luminosityThreshold = TissueMask.DefaultThreshold, double angularPercentile = 99)
    : StainMatrixNormalizer(new MacenkoExtractor(luminosityThreshold, angularPercentile))
{
    public override string Method => "macenko";

    protected override IReadOnlyDictionary<string, double> Parameters => new Dictionary<string, double>
    {
        ["luminosityThreshold"] = luminosityThreshold,
        ["angularPercentile"] = angularPercentile,
    };
}

/// <summary>Ruifrok &amp; Johnston's fixed H&amp;E matrix; only the target's maximum concentrations are fitted.</summary>
public sealed class Ruifrok() : StainMatrixNormalizer(new RuifrokExtractor())
{
    public override string Method => "ruifrok";

    protected override IReadOnlyDictionary<string, double> Parameters => new Dictionary<string, double>();
}
