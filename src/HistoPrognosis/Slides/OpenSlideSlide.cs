using System.Globalization;
using HistoPrognosis.Imaging;
using Microsoft.Win32.SafeHandles;

namespace HistoPrognosis.Slides;

/// <summary>
/// A slide read by OpenSlide: Aperio SVS (JPEG and JPEG-2000), generic tiled TIFF, Hamamatsu, MIRAX, Leica, Ventana,
/// Philips, ... Pixels come back as premultiplied ARGB and are composited over white into RGB (transparent areas,
/// e.g. outside a scanned region, become white background). In an Aperio or generic TIFF, a read made of whole JPEG
/// tiles of a level is decoded from the tiles' bytes by libjpeg-turbo instead (<see cref="DirectJpegTiles"/>, the
/// same pixels several times faster; unless <see cref="SlideOpenOptions.DirectJpegTiles"/> is off).
/// </summary>
public sealed unsafe class OpenSlideSlide : SlideBase
{
    private readonly OpenSlideNative.Api _api;
    private IntPtr _handle;
    private readonly SlideLevel[] _levels;
    private SafeFileHandle? _file;
    private DirectJpegTiles?[] _jpeg = [];

    private OpenSlideSlide(string path, OpenSlideNative.Api api, IntPtr handle) : base(path)
    {
        _api = api;
        _handle = handle;
        int count = api.GetLevelCount(handle);
        if (count <= 0) throw new UserInputException($"{path}: OpenSlide reports no levels ({Error() ?? "unknown error"})");
        _levels = new SlideLevel[count];
        for (int i = 0; i < count; i++)
        {
            long w, h;
            api.GetLevelDimensions(handle, i, &w, &h);
            _levels[i] = new SlideLevel(w, h, api.GetLevelDownsample(handle, i));
        }
        Vendor = Property("openslide.vendor") ?? "unknown";
        NativeMppX = PositiveDouble(Property("openslide.mpp-x"));
        NativeMppY = PositiveDouble(Property("openslide.mpp-y"));
        ObjectivePower = PositiveDouble(Property("openslide.objective-power"));
    }

    /// <summary>Opens a file with OpenSlide; a clear error when OpenSlide is missing, or the file is not a slide it reads.</summary>
    public static OpenSlideSlide Open(string path, bool directJpeg = true)
    {
        var api = OpenSlideNative.Require();
        var name = OpenSlideNative.Utf8Z(path);
        IntPtr handle;
        fixed (byte* p = name) handle = api.Open(p);
        if (handle == IntPtr.Zero)
            throw new UserInputException($"{path}: not a slide format OpenSlide can read");
        var error = OpenSlideNative.Utf8(api.GetError(handle));
        if (error is not null)
        {
            api.Close(handle);
            throw new UserInputException($"{path}: OpenSlide cannot read it: {error}");
        }
        OpenSlideSlide? slide = null;
        try
        {
            slide = new OpenSlideSlide(path, api, handle);
            if (directJpeg && slide.Vendor is "aperio" or "generic-tiff" && DirectJpegTiles.ForTiffLevels(path, slide._levels) is { } direct)
                (slide._file, slide._jpeg) = direct;
            return slide;
        }
        catch
        {
            if (slide is not null) slide.Dispose();
            else api.Close(handle);
            throw;
        }
    }

    public override SlideBackend Backend => SlideBackend.OpenSlide;
    public override string Vendor { get; }
    public override IReadOnlyList<SlideLevel> Levels => _levels;
    public override double? ObjectivePower { get; }
    protected override double? NativeMppX { get; }
    protected override double? NativeMppY { get; }

    /// <summary>A raw OpenSlide property (e.g. "aperio.AppMag"), or null.</summary>
    public string? Property(string name)
    {
        var key = OpenSlideNative.Utf8Z(name);
        fixed (byte* p = key) return OpenSlideNative.Utf8(_api.GetPropertyValue(Handle, p));
    }

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(OpenSlideSlide), Path);

    private string? Error() => OpenSlideNative.Utf8(_api.GetError(Handle));

    /// <summary>True when reads of whole tiles of the level are decoded directly.</summary>
    internal bool DecodesTilesDirectly(int level) => level < _jpeg.Length && _jpeg[level] is not null;

    protected override RgbImage? ReadLevelRegionInto(int level, long x, long y, int width, int height, byte[] buffer) =>
        level < _jpeg.Length ? _jpeg[level]?.TryRead(x, y, width, height, buffer) : null;

    protected override RgbImage ReadLevelRegion(int level, long x, long y, int width, int height)
    {
        if (level < _jpeg.Length && _jpeg[level]?.TryRead(x, y, width, height) is { } tiles) return tiles;
        // OpenSlide takes the corner in level-0 pixels; ToLevel rounded it to this level's grid, map it back exactly.
        long x0 = (long)Math.Round(x * _levels[level].Downsample), y0 = (long)Math.Round(y * _levels[level].Downsample);
        var argb = GC.AllocateUninitializedArray<uint>(checked(width * height));
        fixed (uint* dest = argb) _api.ReadRegion(Handle, dest, x0, y0, level, width, height);
        var error = Error();
        if (error is not null) throw new InvalidDataException($"OpenSlide: {error}");
        var rgb = GC.AllocateUninitializedArray<byte>(width * height * 3);
        for (int i = 0, o = 0; i < argb.Length; i++, o += 3)
        {
            uint p = argb[i];
            uint a = p >> 24;
            if (a == 255)
            {
                rgb[o] = (byte)(p >> 16); rgb[o + 1] = (byte)(p >> 8); rgb[o + 2] = (byte)p;
            }
            else
            {
                // Premultiplied over white: c*a/255 + 255*(1 - a/255) = c' + 255 - a.
                uint bg = 255 - a;
                rgb[o] = (byte)Math.Min(255u, ((p >> 16) & 0xFF) + bg);
                rgb[o + 1] = (byte)Math.Min(255u, ((p >> 8) & 0xFF) + bg);
                rgb[o + 2] = (byte)Math.Min(255u, (p & 0xFF) + bg);
            }
        }
        return new RgbImage(width, height, rgb);
    }

    internal static double? PositiveDouble(string? s) =>
        s is not null && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v : null;

    public override void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) _api.Close(h);
        _file?.Dispose();
    }
}
