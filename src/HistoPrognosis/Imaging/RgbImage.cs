namespace HistoPrognosis.Imaging;

/// <summary>
/// An 8-bit RGB image, row-major and interleaved (R, G, B per pixel). The one pixel type that slides, stain
/// normalizers, transforms and datasets exchange, so no stage depends on another's image library.
/// </summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        if (pixels.Length != checked(width * height * 3))
            throw new ArgumentException($"expected {width * height * 3} bytes for {width}x{height} RGB, got {pixels.Length}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Interleaved RGB bytes, length Width × Height × 3.</summary>
    public byte[] Pixels { get; }

    public static RgbImage Blank(int width, int height) => new(width, height, new byte[width * height * 3]);

    public int Offset(int x, int y) => (y * Width + x) * 3;
}
