using HistoPrognosis.Imaging;
using Microsoft.Win32.SafeHandles;
using NetVips;

namespace HistoPrognosis.Slides;

/// <summary>
/// A slide read through the bundled libvips (no system install): pyramidal TIFF/SVS with JPEG, LZW, deflate, WebP or
/// uncompressed tiles, and stripped TIFF images as one-level slides (other plain images: <see cref="ImageSlide"/>).
/// JPEG-2000 slides need <see cref="OpenSlideSlide"/>. Every tile's data is checked to lie inside the file when the
/// slide is opened, and a JPEG tile to be complete before it is first decoded (<see cref="JpegTileCheck"/>).
/// </summary>
public sealed class VipsSlide : SlideBase
{
    private readonly Image[] _pages;
    private readonly SlideLevel[] _levels;
    // Per thread and level, a libvips region: fetching pixels through it skips building an operation pipeline (and
    // its thread pool and cache entries) per tile, which makes tile reads several times cheaper and keeps memory flat.
    // Each thread also opens its own copy of the page, so the per-file lock of libvips' TIFF reader is not shared.
    private readonly ThreadLocal<(Image Image, Region Region)?[]> _regions;
    private readonly bool[] _direct;
    private readonly int[] _pageIndex;
    private readonly SafeFileHandle _file;
    private readonly JpegTileCheck?[] _checks;
    private readonly DirectJpegTiles?[] _jpeg;

    private VipsSlide(string path, Image[] pages, int[] pageIndex, SafeFileHandle file, JpegTileCheck?[] checks, DirectJpegTiles?[] jpeg,
        SlideLevel[] levels, string vendor, double? mppX, double? mppY, double? power) : base(path)
    {
        _pageIndex = pageIndex;
        _file = file;
        _checks = checks;
        _jpeg = jpeg;
        _pages = pages;
        _levels = levels;
        _direct = pages.Select(p => p.Bands == 3 && p.Format == Enums.BandFormat.Uchar
                                     && p.Interpretation is Enums.Interpretation.Srgb or Enums.Interpretation.Rgb).ToArray();
        _regions = new ThreadLocal<(Image, Region)?[]>(() => new (Image, Region)?[pages.Length], trackAllValues: true);
        Vendor = vendor;
        NativeMppX = mppX;
        NativeMppY = mppY;
        ObjectivePower = power;
    }

    public override SlideBackend Backend => SlideBackend.Vips;
    public override string Vendor { get; }
    public override IReadOnlyList<SlideLevel> Levels => _levels;
    public override double? ObjectivePower { get; }
    protected override double? NativeMppX { get; }
    protected override double? NativeMppY { get; }

    /// <summary>
    /// Opens a TIFF pyramid (levels found from its directories) or, as an <see cref="ImageSlide"/>, any other image libvips
    /// reads. <paramref name="directJpeg"/> (the default): a read of exactly one JPEG tile of a level is decoded from the
    /// tile's bytes by libjpeg-turbo (<see cref="DirectJpegTiles"/>) when libturbojpeg is installed; every other read,
    /// and every read when it is off, goes through libvips.
    /// </summary>
    public static SlideBase Open(string path, bool directJpeg = true)
    {
        if (!File.Exists(path)) throw new UserInputException($"slide file not found: {path}");
        Span<byte> head = stackalloc byte[8];
        using (var f = File.OpenRead(path)) head = head[..f.Read(head)];
        return TiffDirectory.HasTiffMagic(head) ? OpenTiff(path, TiffDirectory.Read(path), directJpeg) : ImageSlide.Open(path);
    }

    private static VipsSlide OpenTiff(string path, IReadOnlyList<TiffPage> allPages, bool directJpeg)
    {
        var pyramid = TiffDirectory.PyramidPages(allPages);
        foreach (var p in pyramid)
            if (!TiffDirectory.VipsCompressions.Contains(p.Compression))
                throw new UserInputException($"{path}: TIFF compression {p.Compression}{CompressionName(p.Compression)} is not decoded by libvips; open it with OpenSlide");
        var images = new Image[pyramid.Count];
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            long length = RandomAccess.GetLength(file);
            foreach (var p in pyramid) p.CheckDataInside(path, length);
            // An untiled (stripped) page has no random access worth the name: its regions mean decoding whole strips,
            // its thumbnail the whole image. Over the plain-image limit it is refused, as a PNG of that size is.
            foreach (var flat in pyramid.Where(p => !p.IsTiled))
                ImageCodec.CheckSize(flat.Width, flat.Height, $"{path} (untiled TIFF page {flat.Index})", ImageCodec.DefaultMaxPixels, ImageSlide.ConvertAdvice);
            for (int i = 0; i < pyramid.Count; i++)
                images[i] = Load(path, pyramid[i].Index);
            var first = pyramid[0];
            var levels = pyramid.Select((p, i) => new SlideLevel(images[i].Width, images[i].Height,
                i == 0 ? 1.0 : ((double)first.Width / p.Width + (double)first.Height / p.Height) / 2)).ToArray();
            var aperio = TiffDirectory.AperioProperties(first.Description);
            double? mppX, mppY, power = null;
            string vendor;
            if (aperio is not null)
            {
                vendor = "aperio";
                mppX = mppY = TiffDirectory.ParsePositive(aperio.GetValueOrDefault("MPP"));
                power = TiffDirectory.ParsePositive(aperio.GetValueOrDefault("AppMag"));
            }
            else
            {
                vendor = "generic-tiff";
                (mppX, mppY) = first.ResolutionMpp();
            }
            return new VipsSlide(path, images, pyramid.Select(p => p.Index).ToArray(), file,
                pyramid.Select(p => JpegTileCheck.For(file, p)).ToArray(),
                pyramid.Select(p => directJpeg ? DirectJpegTiles.For(file, p) : null).ToArray(), levels, vendor, mppX, mppY, power);
        }
        catch
        {
            foreach (var im in images) im?.Dispose();
            file.Dispose();
            throw;
        }
    }

    private static Image Load(string path, int page)
    {
        try
        {
            return Image.NewFromFile(path, access: Enums.Access.Random, kwargs: new VOption { { "page", page } });
        }
        catch (VipsException ex)
        {
            throw new UserInputException($"{path}: libvips cannot read it ({ImageCodec.Reason(ex)})", ex);
        }
    }

    private static string CompressionName(int c) => c switch
    {
        33003 or 33005 or 34712 => " (JPEG 2000)",
        34713 => " (Nikon NEF)",
        _ => "",
    };

    /// <summary>True when whole-tile reads of the level are decoded directly (see <see cref="Open"/>).</summary>
    internal bool DecodesTilesDirectly(int level) => _jpeg[level] is not null;

    protected override RgbImage? ReadLevelRegionInto(int level, long x, long y, int width, int height, byte[] buffer) =>
        _jpeg[level]?.TryRead(x, y, width, height, buffer);

    protected override RgbImage ReadLevelRegion(int level, long x, long y, int width, int height)
    {
        if (_jpeg[level]?.TryRead(x, y, width, height) is { } tile) return tile;
        _checks[level]?.Check(x, y, width, height);
        try
        {
            if (_direct[level])
            {
                var regions = _regions.Value!;
                if (regions[level] is null)
                {
                    var own = Load(Path, _pageIndex[level]);
                    regions[level] = (own, Region.New(own));
                }
                var bytes = regions[level]!.Value.Region.Fetch((int)x, (int)y, width, height);
                if (bytes is not null && bytes.Length == width * height * 3) return new RgbImage(width, height, bytes);
            }
            using var crop = _pages[level].Crop((int)x, (int)y, width, height);
            return ImageCodec.FromVips(crop);
        }
        catch (VipsException ex)
        {
            throw new InvalidDataException($"libvips: {ImageCodec.Reason(ex)}", ex);
        }
    }

    public override void Dispose()
    {
        foreach (var perThread in _regions.Values)
            foreach (var r in perThread)
            {
                r?.Region.Dispose();
                r?.Image.Dispose();
            }
        _regions.Dispose();
        foreach (var p in _pages) p.Dispose();
        _file.Dispose();
    }
}
