namespace HistoPrognosis.Data;

/// <summary>
/// Where a slide patch's pixels come from: <see cref="ReadSize"/>² pixels of <see cref="Level"/> of the slide (at the
/// record's level-0 X, Y), area-resampled to <see cref="TileSize"/>² when the two differ — the CLAM coordinates-file
/// geometry (<c>patch_level</c>, <c>patch_size</c>, <c>tile_size</c>). <see cref="SlideIndex"/> numbers the patient's
/// slides (0-based, manifest order); <see cref="SlideMpp"/> is the level-0 µm/px override the slide was tiled with.
/// </summary>
public sealed record SlideRegion(string SlidePath, int SlideIndex, int Level, int ReadSize, int TileSize, double? SlideMpp);
