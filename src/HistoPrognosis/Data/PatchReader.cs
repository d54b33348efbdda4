using System.Collections.Concurrent;
using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Data;

/// <summary>
/// Turns a patch record into pixels: an image file is decoded, a slide region is read from its slide exactly as the
/// slide stage reads a tile (so the pixels equal the PNG it would have saved). Each slide is opened once and shared by
/// all threads (<see cref="ISlide.ReadRegion"/> is thread-safe); they are closed on <see cref="Dispose"/>. An optional
/// transform (stain normalization) is applied to every patch read.
/// </summary>
public sealed class PatchReader(Func<RgbImage, RgbImage>? transform = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<ISlide>> _slides = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>The patch's pixels; a bad file or region fails naming the patch table row.</summary>
    public RgbImage Read(PatchRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            if (record.Region is not { } region) return Transformed(ImageCodec.Read(record.Path, record.MaxPixels));
            if (record.X is not long x || record.Y is not long y)
                throw new UserInputException($"{region.SlidePath}: a slide region needs x and y");
            var slide = Open(region);
            var tile = slide.ReadRegion(region.Level, x, y, region.ReadSize, region.ReadSize);
            return Transformed(region.ReadSize == region.TileSize ? tile : Resampler.Area(tile, region.TileSize, region.TileSize));
        }
        catch (Exception ex) when (ex is UserInputException or InvalidDataException or IOException)
        {
            throw new UserInputException($"{record.Table ?? "patch table"}, row {record.Line}: {ex.Message}", ex);
        }
    }

    /// <summary>The patch after the per-patch transform (stain normalization onto a target), when there is one.</summary>
    private RgbImage Transformed(RgbImage image) => transform is null ? image : transform(image);

    private ISlide Open(SlideRegion region)
    {
        var lazy = _slides.GetOrAdd(region.SlidePath, path => new Lazy<ISlide>(() =>
        {
            if (!File.Exists(path) && !Directory.Exists(path)) throw new UserInputException($"slide not found: {path}");
            return SlideFactory.Open(path, new SlideOpenOptions { MppOverride = region.SlideMpp });
        }));
        return lazy.Value;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var lazy in _slides.Values)
            if (lazy.IsValueCreated) lazy.Value.Dispose();
        _slides.Clear();
    }
}
