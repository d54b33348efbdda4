using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>
/// A stain normalizer: <see cref="Fit"/> learns a target's appearance, <see cref="Transform"/> maps an image onto
/// it. The fit is plain data (<see cref="StainFit"/>) so it can be saved once per target and reused.
/// </summary>
/// <summary>What a normalizer measures of the images it maps from.</summary>
public abstract record StainSource;

/// <summary>Reinhard's source: per-channel mean and standard deviation in TIAToolbox's LAB scaling.</summary>
public sealed record LabStatisticsSource(double[] Mean, double[] Std) : StainSource;

/// <summary>Stain-matrix methods' source: the stain vectors and the 99th-percentile concentrations of H and E.</summary>
public sealed record StainMatrixSource(StainMatrix Matrix, double[] MaxConcentrations) : StainSource;

public interface IStainNormalizer
{
    /// <summary>The method name used in fit files and on the command line (e.g. "macenko").</summary>
    string Method { get; }

    bool IsFitted { get; }

    void Fit(RgbImage target);

    /// <summary>Maps an image onto the target, measuring the image's own stain first (<see cref="EstimateSource"/>).</summary>
    RgbImage Transform(RgbImage image);

    /// <summary>
    /// Measures the stain of a source region (a slide thumbnail, or a mosaic of one patient's patches) so that its
    /// tiles can all be mapped with one estimate: small tiles give noisy per-tile estimates.
    /// </summary>
    StainSource EstimateSource(RgbImage region);

    /// <summary>Maps an image onto the target using a source estimate made by this normalizer's method.</summary>
    RgbImage Transform(RgbImage image, StainSource source);

    /// <summary>The fitted state; throws when <see cref="Fit"/> or <see cref="Load"/> has not run.</summary>
    StainFit ExportFit();

    /// <summary>Restores a fit made by the same method and settings; throws <see cref="UserInputException"/> otherwise.</summary>
    void Load(StainFit fit);
}
