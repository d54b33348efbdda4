using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>
/// A stain normalizer: <see cref="Fit"/> learns a target's appearance, <see cref="Transform"/> maps an image onto
/// it. The fit is plain data (<see cref="StainFit"/>) so it can be saved once per target and reused.
/// </summary>
public interface IStainNormalizer
{
    /// <summary>The method name used in fit files and on the command line (e.g. "macenko").</summary>
    string Method { get; }

    bool IsFitted { get; }

    void Fit(RgbImage target);

    RgbImage Transform(RgbImage image);

    /// <summary>The fitted state; throws when <see cref="Fit"/> or <see cref="Load"/> has not run.</summary>
    StainFit ExportFit();

    /// <summary>Restores a fit made by the same method and settings; throws <see cref="UserInputException"/> otherwise.</summary>
    void Load(StainFit fit);
}
