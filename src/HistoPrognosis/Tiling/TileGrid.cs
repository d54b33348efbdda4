using HistoPrognosis.Slides;

namespace HistoPrognosis.Tiling;

/// <summary>
/// Where tiles of <see cref="TileSize"/> px at <see cref="TargetMpp"/> µm/px come from: read
/// <see cref="ReadSize"/> × <see cref="ReadSize"/> px at level <see cref="Level"/> (the coarsest level not coarser than
/// the target) and resample to <see cref="TileSize"/> when the two differ. Positions are on the level's own pixel grid,
/// stored in level-0 pixels (CLAM's convention).
/// </summary>
public sealed record TileGrid(
    double TargetMpp, int TileSize, int Overlap, int Level, double LevelDownsample, int ReadSize, double StrideInLevel,
    double SlideMpp, long LevelWidth, long LevelHeight)
{
    /// <summary>µm/px of the tiles actually produced (differs from the target only within the tolerance).</summary>
    public double EffectiveMpp => SlideMpp * LevelDownsample * ReadSize / TileSize;

    /// <summary>Tile side in level-0 pixels.</summary>
    public double SizeLevel0 => ReadSize * LevelDownsample;

    public int Columns => LevelWidth < ReadSize ? 0 : (int)Math.Floor((LevelWidth - ReadSize) / StrideInLevel + 1e-9) + 1;
    public int Rows => LevelHeight < ReadSize ? 0 : (int)Math.Floor((LevelHeight - ReadSize) / StrideInLevel + 1e-9) + 1;
    public long Count => (long)Columns * Rows;

    /// <summary>Level-0 corner of tile (column, row).</summary>
    public (long X, long Y) Position(int column, int row)
    {
        long lx = (long)Math.Round(column * StrideInLevel), ly = (long)Math.Round(row * StrideInLevel);
        return ((long)Math.Round(lx * LevelDownsample), (long)Math.Round(ly * LevelDownsample));
    }

    /// <summary>
    /// Plans the grid. <paramref name="tolerance"/>: a level within this relative distance of the target is read as is
    /// (e.g. a 0.499 µm/px slide for a 0.5 µm/px target). Throws when the slide has no µm/px or the target is finer
    /// than level 0.
    /// </summary>
    public static TileGrid Plan(ISlide slide, double targetMpp, int tileSize, int overlap = 0, double tolerance = 0.02)
    {
        if (!(targetMpp > 0) || !double.IsFinite(targetMpp)) throw new UserInputException($"target µm/px {targetMpp} must be a positive number");
        if (tileSize < 8) throw new UserInputException($"tile size {tileSize} px is too small (at least 8)");
        if (overlap < 0 || overlap >= tileSize) throw new UserInputException($"overlap {overlap} px must be ≥ 0 and smaller than the tile size {tileSize}");
        if (slide.MppX is not { } mx || slide.MppY is not { } my)
            throw new UserInputException($"{slide.Path}: the slide does not state its µm/px (microns per pixel); give it with --slide-mpp (e.g. --slide-mpp 0.25 for 40x, 0.5 for 20x)");
        double slideMpp = (mx + my) / 2;
        double want = targetMpp / slideMpp; // level-0 pixels per target pixel
        if (want < 1 - tolerance)
            throw new UserInputException($"{slide.Path}: target {targetMpp} µm/px is finer than the slide's level 0 ({slideMpp:0.####} µm/px); tiles would be upsampled");
        var levels = slide.Levels;
        int level = 0;
        for (int i = 1; i < levels.Count; i++)
            if (levels[i].Downsample <= want * (1 + tolerance)) level = i;
        double ds = levels[level].Downsample;
        double factor = want / ds; // level pixels per target pixel (≥ 1 - tolerance)
        if (Math.Abs(factor - 1) <= tolerance) factor = 1;
        int readSize = (int)Math.Round(tileSize * factor);
        return new TileGrid(targetMpp, tileSize, overlap, level, ds, readSize, (tileSize - overlap) * factor, slideMpp,
            levels[level].Width, levels[level].Height);
    }
}
