using HistoPrognosis.Imaging;

namespace HistoPrognosis.Slides;

/// <summary>Shared bookkeeping of the backends: bounds checks, level-0 → level coordinates, µm/px override.</summary>
public abstract class SlideBase : ISlide
{
    protected SlideBase(string path) => Path = path;

    public string Path { get; }
    public abstract SlideBackend Backend { get; }
    public abstract string Vendor { get; }
    public abstract IReadOnlyList<SlideLevel> Levels { get; }
    public double? MppX => MppOverride ?? NativeMppX;
    public double? MppY => MppOverride ?? NativeMppY;
    public abstract double? ObjectivePower { get; }

    /// <summary>µm/px read from the file (null when absent).</summary>
    protected abstract double? NativeMppX { get; }
    protected abstract double? NativeMppY { get; }

    /// <summary>A user-supplied level-0 µm/px that replaces the file's (e.g. <c>--slide-mpp</c>).</summary>
    public double? MppOverride { get; internal set; }

    /// <summary>
    /// Reads a region (see <see cref="ISlide.ReadRegion"/>). Damaged pixel data — a cut or corrupt tile, data past the
    /// end of the file — is bad input, never a crash or blank pixels: a <see cref="UserInputException"/> naming the
    /// slide, the region and what the backend found.
    /// </summary>
    public RgbImage ReadRegion(int level, long x, long y, int width, int height) => ReadRegion(level, x, y, width, height, null);

    /// <summary>
    /// <see cref="ReadRegion(int, long, long, int, int)"/> that may decode into <paramref name="buffer"/> (exactly
    /// width × height × 3 bytes) instead of a new array, when the backend can (whole JPEG tiles, see
    /// <see cref="DirectJpegTiles"/>): the image then shares the buffer, so it is only valid until the buffer is reused.
    /// A tiler's worker passes the same buffer for every tile, which spares the allocator a large array per tile.
    /// </summary>
    internal RgbImage ReadRegion(int level, long x, long y, int width, int height, byte[]? buffer)
    {
        var (lx, ly) = ToLevel(level, x, y, width, height);
        try
        {
            if (buffer is not null && buffer.Length == (long)width * height * 3 && ReadLevelRegionInto(level, lx, ly, width, height, buffer) is { } into)
                return into;
            return ReadLevelRegion(level, lx, ly, width, height);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UserInputException)
        {
            throw new UserInputException($"{Path}: cannot read level {level} at ({lx}, {ly}), {width}x{height} px: {ex.Message}", ex);
        }
    }

    /// <summary>Checks a request and maps its level-0 corner to the nearest pixel of the level.</summary>
    protected (long X, long Y) ToLevel(int level, long x, long y, int width, int height)
    {
        var levels = Levels;
        if (level < 0 || level >= levels.Count)
            throw new UserInputException($"{Path}: level {level} does not exist (the slide has {levels.Count} level(s))");
        if (width <= 0 || height <= 0)
            throw new UserInputException($"{Path}: region size {width}x{height} must be positive");
        var l = levels[level];
        long lx = (long)Math.Round(x / l.Downsample), ly = (long)Math.Round(y / l.Downsample);
        if (x < 0 || y < 0 || lx + width > l.Width || ly + height > l.Height)
            throw new UserInputException(
                $"{Path}: region ({x}, {y}) {width}x{height} at level {level} lies outside the slide " +
                $"(level {level} is {l.Width}x{l.Height} px, downsample {l.Downsample:0.###})");
        return (lx, ly);
    }

    /// <summary>
    /// Reads a region given in the level's own pixel coordinates, already checked to be inside. Damaged data is an
    /// <see cref="InvalidDataException"/> saying what is wrong (the caller adds the slide and the region).
    /// </summary>
    protected abstract RgbImage ReadLevelRegion(int level, long x, long y, int width, int height);

    /// <summary>A read into a caller's buffer (see <see cref="ReadRegion(int, long, long, int, int, byte[])"/>), or null: read it the usual way.</summary>
    protected virtual RgbImage? ReadLevelRegionInto(int level, long x, long y, int width, int height, byte[] buffer) => null;

    public abstract void Dispose();
}
