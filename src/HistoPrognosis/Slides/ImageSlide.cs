using HistoPrognosis.Imaging;

namespace HistoPrognosis.Slides;

/// <summary>
/// A plain image (PNG, JPEG, WebP, ...) as a one-level slide, decoded by the bundled libvips. Such formats have no
/// random access: libvips would decode the whole image for the first region anyway, whatever its size, so it is
/// decoded here once, through <see cref="ImageCodec.Read"/> — its size checked from the header against
/// <see cref="ImageCodec.DefaultMaxPixels"/> before any pixel, a truncated file an error — and regions are copied from
/// memory. A larger plain image is refused with the advice to convert it to a tiled pyramidal TIFF.
/// </summary>
public sealed class ImageSlide : SlideBase
{
    internal const string ConvertAdvice =
        "a plain image is decoded whole to be read as a slide; convert it to a tiled pyramidal TIFF, e.g. vips tiffsave IN OUT.tif --tile --pyramid --compression jpeg";

    private readonly RgbImage _image;
    private readonly SlideLevel[] _levels;

    private ImageSlide(string path, RgbImage image, string vendor) : base(path)
    {
        _image = image;
        _levels = [new SlideLevel(image.Width, image.Height, 1.0)];
        Vendor = vendor;
    }

    public override SlideBackend Backend => SlideBackend.Vips;
    public override string Vendor { get; }
    public override IReadOnlyList<SlideLevel> Levels => _levels;
    public override double? ObjectivePower => null;
    protected override double? NativeMppX => null;
    protected override double? NativeMppY => null;

    public static ImageSlide Open(string path)
    {
        // The loader's format ("VipsForeignLoadPngFile" → "png") is the vendor. This is the last reader tried by content.
        var loader = NetVips.Image.FindLoad(path) ?? throw new UserInputException(
            $"{path}: not a slide or image format this tool reads (neither DICOM, TIFF, a format OpenSlide recognises, nor an image libvips decodes)");
        var vendor = loader.Replace("VipsForeignLoad", "", StringComparison.Ordinal).Replace("File", "", StringComparison.Ordinal).ToLowerInvariant();
        return new ImageSlide(path, ImageCodec.Read(path, ImageCodec.DefaultMaxPixels, ConvertAdvice), vendor);
    }

    protected override RgbImage ReadLevelRegion(int level, long x, long y, int width, int height)
    {
        var output = new byte[width * height * 3];
        for (int row = 0; row < height; row++)
            Buffer.BlockCopy(_image.Pixels, _image.Offset((int)x, (int)y + row), output, row * width * 3, width * 3);
        return new RgbImage(width, height, output);
    }

    public override void Dispose()
    {
    }
}
