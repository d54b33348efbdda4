using HistoPrognosis.Imaging;

namespace HistoPrognosis.Slides;

/// <summary>One resolution level of a slide: its size in pixels and its downsample relative to level 0.</summary>
public sealed record SlideLevel(long Width, long Height, double Downsample);

/// <summary>Which reader opened a slide (also the name printed by <c>slide info</c>).</summary>
public enum SlideBackend
{
    /// <summary>Let <see cref="SlideFactory"/> choose by the file's content.</summary>
    Auto,
    OpenSlide,
    Vips,
    Dicom,
}

/// <summary>
/// A whole-slide image: a pyramid of levels with metadata. Implementations are safe for concurrent
/// <see cref="ReadRegion"/> calls from several threads.
/// </summary>
public interface ISlide : IDisposable
{
    /// <summary>The file (or, for a DICOM series, the first instance) that was opened.</summary>
    string Path { get; }

    SlideBackend Backend { get; }

    /// <summary>Scanner vendor or format as reported by the backend (e.g. "aperio", "generic-tiff", "dicom"); never null.</summary>
    string Vendor { get; }

    /// <summary>Levels, level 0 (full resolution) first, downsamples increasing.</summary>
    IReadOnlyList<SlideLevel> Levels { get; }

    /// <summary>Micrometres per pixel at level 0 along x, or null when the file does not say.</summary>
    double? MppX { get; }

    /// <summary>Micrometres per pixel at level 0 along y, or null when the file does not say.</summary>
    double? MppY { get; }

    /// <summary>Scanning objective magnification (e.g. 20, 40), or null when the file does not say.</summary>
    double? ObjectivePower { get; }

    /// <summary>
    /// Reads <paramref name="width"/> × <paramref name="height"/> pixels of level <paramref name="level"/> whose top-left
    /// corner is at (<paramref name="x"/>, <paramref name="y"/>) in LEVEL-0 coordinates (OpenSlide's and CLAM's
    /// convention, so a coordinate from a coordinates file can be passed as is). The region must lie inside the level;
    /// otherwise a <see cref="UserInputException"/> names the slide and the bounds.
    /// </summary>
    RgbImage ReadRegion(int level, long x, long y, int width, int height);
}
