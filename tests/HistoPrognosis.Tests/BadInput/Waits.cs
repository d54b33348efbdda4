namespace HistoPrognosis.Tests.BadInput;

/// <summary>
/// Why a case is skipped for now: each names the fix, in code this suite's branch does not own, that it waits for.
/// The theory lists every one of these as a skipped data source; when a fix lands its cases lose the mark and run.
/// </summary>
public static class Waits
{
    public const string TileEmptyFolder =
        "waiting for tile to leave no --out folder when every slide fails (Tiling/SlideTiler.cs RunBatch creates it first)";

    public const string SlideTruncation =
        "waiting for the slide readers to fail on unreadable pixel data instead of tiling black (Slides/VipsSlide.cs: libvips fills failed tiles with black and only warns)";

    public const string SlideBombs =
        "waiting for the slide stage to refuse or bound single-image slides whose header claims a huge size (Slides/VipsSlide.cs, Tiling/: minutes and GBs now)";

    public const string TiffOffsets =
        "waiting for a TIFF structure check (strip/tile offsets within the file) shared with Slides/TiffDirectory.cs: libvips fills unreadable TIFF tiles of a patch with black";

    public const string StainLimit =
        "waiting for the stain image reader to take input.max_image_pixels (Stain/StainImageFile.cs, Stain/StainBatch.cs, StainConfig.Create)";

    public static readonly IReadOnlyList<string> All = [TileEmptyFolder, SlideTruncation, SlideBombs, TiffOffsets, StainLimit];
}
