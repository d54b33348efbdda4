using NetVips;

namespace HistoPrognosis.Imaging;

/// <summary>Decodes and encodes ordinary image files (PNG, JPEG, TIFF, ...) through the bundled libvips.</summary>
public static class ImageCodec
{
    /// <summary>Reads an image file as 8-bit RGB (grey is expanded, alpha dropped); throws a message naming the file.</summary>
    public static RgbImage Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"image file not found: {path}");
        try
        {
            using var image = Image.NewFromFile(path, access: Enums.Access.Sequential);
            return FromVips(image);
        }
        catch (VipsException ex)
        {
            throw new UserInputException($"{path}: not a readable image ({FirstLine(ex.Message)})", ex);
        }
    }

    /// <summary>Decodes an encoded image held in memory (e.g. a JPEG frame).</summary>
    public static RgbImage Decode(byte[] encoded, string source)
    {
        try
        {
            using var image = Image.NewFromBuffer(encoded, access: Enums.Access.Sequential);
            return FromVips(image);
        }
        catch (VipsException ex)
        {
            throw new InvalidDataException($"{source}: cannot decode image ({FirstLine(ex.Message)})", ex);
        }
    }

    /// <summary>Writes a PNG atomically (temporary file, then rename).</summary>
    public static void WritePng(RgbImage image, string path)
    {
        using var vips = ToVips(image);
        var temp = path + ".tmp.png";
        vips.Pngsave(temp);
        File.Move(temp, path, overwrite: true);
    }

    public static Image ToVips(RgbImage image) =>
        Image.NewFromMemory(image.Pixels, image.Width, image.Height, 3, Enums.BandFormat.Uchar);

    public static RgbImage FromVips(Image image)
    {
        var rgb = image;
        try
        {
            if (rgb.HasAlpha()) rgb = Replace(rgb, rgb.Flatten(background: [255.0]), image);
            if (rgb.Bands >= 3 && rgb.Interpretation is not (Enums.Interpretation.Srgb or Enums.Interpretation.Rgb))
                rgb = Replace(rgb, rgb.Colourspace(Enums.Interpretation.Srgb), image);
            if (rgb.Format != Enums.BandFormat.Uchar) rgb = Replace(rgb, rgb.Cast(Enums.BandFormat.Uchar), image);
            if (rgb.Bands == 1) rgb = Replace(rgb, rgb.Bandjoin(rgb, rgb), image);
            else if (rgb.Bands > 3) rgb = Replace(rgb, rgb.ExtractBand(0, 3), image);
            var bytes = rgb.WriteToMemory<byte>();
            return new RgbImage(rgb.Width, rgb.Height, bytes);
        }
        finally
        {
            if (!ReferenceEquals(rgb, image)) rgb.Dispose();
        }
    }

    // Disposes an intermediate (never the caller's image) as the conversion chain moves on.
    private static Image Replace(Image current, Image next, Image original)
    {
        if (!ReferenceEquals(current, original)) current.Dispose();
        return next;
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
