using HistoPrognosis.IO;
using NetVips;

namespace HistoPrognosis.Imaging;

/// <summary>Decodes and encodes ordinary image files (PNG, JPEG, TIFF, ...) through the bundled libvips.</summary>
public static class ImageCodec
{
    /// <summary>
    /// Largest image <see cref="Read"/> decodes whole: 100 megapixels (a 10,000² image, 300 MB as RGB). Patches and
    /// stain targets are far smaller; whole slides are read by region through <c>Slides/</c>, never through here.
    /// </summary>
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>
    /// Reads an image file as 8-bit RGB: 16-bit samples scaled (not clamped) to 8 bits, grey expanded, alpha composited
    /// on white. The size in the header is checked against <paramref name="maxPixels"/> before any pixel is decoded,
    /// and a truncated or corrupt file is an error, never zeros. Every failure names the file.
    /// </summary>
    /// <param name="tooLargeAdvice">what the message advises for an image over the limit</param>
    public static RgbImage Read(string path, long maxPixels = DefaultMaxPixels, string tooLargeAdvice = ReadBySlides)
    {
        if (!File.Exists(path)) throw new UserInputException($"image file not found: {path}");
        return Guarded(() => OpenChecked(path), path, maxPixels, tooLargeAdvice, (what, ex) => new UserInputException($"{path}: {what}", ex));
    }

    /// <summary>Decodes an encoded image held in memory (e.g. a JPEG frame); truncated data is an error.</summary>
    public static RgbImage Decode(byte[] encoded, string source, long maxPixels = DefaultMaxPixels) =>
        Guarded(() => Image.NewFromBuffer(encoded, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated), source, maxPixels, ReadBySlides,
            (what, ex) => new InvalidDataException($"{source}: {what}", ex));

    // Opening reads the header only: a file that is no image fails there, a cut or corrupt one when its pixels are decoded.
    private static RgbImage Guarded(Func<Image> open, string source, long maxPixels, string advice, Func<string, VipsException, Exception> error)
    {
        Image image;
        try { image = open(); }
        catch (VipsException ex) { throw error($"not a readable image ({Reason(ex)})", ex); }
        using (image)
        {
            CheckSize(image, source, maxPixels, advice);
            try { return FromVips(image); }
            catch (VipsException ex) { throw error($"truncated or corrupt pixel data ({Reason(ex)})", ex); }
        }
    }

    // libvips fills a TIFF tile or strip it cannot fetch with black and only warns: for a TIFF (the loader libvips
    // chose from the content), check the data lies in the file before any pixel is read. Other formats pay nothing.
    private static Image OpenChecked(string path)
    {
        var image = Image.NewFromFile(path, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated);
        try
        {
            if (image.Contains("vips-loader") && image.Get("vips-loader") is string loader && loader.StartsWith("tiffload", StringComparison.Ordinal))
            {
                long length = new FileInfo(path).Length;
                foreach (var page in TiffDirectory.Read(path)) page.CheckDataInside(path, length);
            }
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>Refuses a header size over <paramref name="maxPixels"/>, naming the source and the limit's setting.</summary>
    public static void CheckSize(long width, long height, string source, long maxPixels, string advice = ReadBySlides)
    {
        if (width * height > maxPixels)
            throw new UserInputException($"{source}: the header claims {width} × {height} pixels, more than the {maxPixels:N0} allowed ({advice})");
    }

    private const string ReadBySlides = "input.max_image_pixels, --max-image-pixels; whole slides are read by region: use --slides";

    // The header is read when the image is opened; the pixels only when written out, so this runs before any allocation.
    private static void CheckSize(Image image, string source, long maxPixels, string advice) => CheckSize(image.Width, image.Height, source, maxPixels, advice);

    /// <summary>Writes a PNG atomically (temporary file, then rename); a failed write is an <see cref="IOException"/> naming the file.</summary>
    public static void WritePng(RgbImage image, string path)
    {
        using var vips = ToVips(image);
        try
        {
            AtomicFile.Write(path, temp => vips.Pngsave(temp));
        }
        catch (VipsException ex)
        {
            throw new IOException($"{path}: cannot write the PNG ({Reason(ex)})", ex);
        }
    }

    public static Image ToVips(RgbImage image) =>
        Image.NewFromMemory(image.Pixels, image.Width, image.Height, 3, Enums.BandFormat.Uchar);

    public static RgbImage FromVips(Image image)
    {
        var rgb = image;
        try
        {
            // 16-bit samples: scale to 8 bits first (a plain cast clamps every value above 255 to white), so alpha,
            // colour conversion and the rest see 8-bit data.
            if (rgb.Format is Enums.BandFormat.Ushort or Enums.BandFormat.Short)
                rgb = Replace(rgb, (rgb / 257.0).Cast(Enums.BandFormat.Uchar)
                    .Copy(interpretation: rgb.Bands >= 3 ? Enums.Interpretation.Srgb : Enums.Interpretation.Bw), image);
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

    /// <summary>
    /// A libvips error on one line: every line of its error buffer, since the first is often only the operation
    /// ("unable to write to memory") and the cause follows ("VipsJpeg: premature end of JPEG image").
    /// </summary>
    public static string Reason(VipsException ex) =>
        string.Join("; ", ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct());
}
