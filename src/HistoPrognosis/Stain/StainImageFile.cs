using HistoPrognosis.Imaging;
using NetVips;

namespace HistoPrognosis.Stain;

/// <summary>
/// Reads an image for stain work and refuses what stain estimation would silently get wrong: grey-scale, alpha,
/// and anything other than 8 bits per channel (the OD and LAB maths assume 0..255 RGB).
/// </summary>
public static class StainImageFile
{
    /// <param name="maxPixels">the largest image decoded (<c>input.max_image_pixels</c>)</param>
    public static RgbImage Read(string path, long maxPixels = ImageCodec.DefaultMaxPixels)
    {
        Check(path, maxPixels);
        return ImageCodec.Read(path, maxPixels, StainAdvice);
    }

    private const string StainAdvice = "input.max_image_pixels, --max-image-pixels; stain targets and inputs are decoded whole";

    /// <summary>Checks the header only (no pixel decoding); throws <see cref="UserInputException"/> naming the file.</summary>
    public static void Check(string path, long maxPixels = ImageCodec.DefaultMaxPixels)
    {
        if (!File.Exists(path)) throw new UserInputException($"image file not found: {path}");
        try
        {
            using var image = Image.NewFromFile(path);
            ImageCodec.CheckSize(image.Width, image.Height, path, maxPixels, StainAdvice);
            if (image.Interpretation == Enums.Interpretation.Cmyk)
                throw new UserInputException($"{path}: is CMYK; stain normalization needs 8-bit RGB (convert it, e.g. vips icc_transform IN OUT.png srgb)");
            if (image.HasAlpha()) throw new UserInputException($"{path}: has an alpha channel; stain normalization needs plain 8-bit RGB");
            if (image.Bands != 3) throw new UserInputException($"{path}: has {image.Bands} band(s){(image.Bands < 3 ? " (grey-scale?)" : "")}; stain normalization needs 8-bit RGB");
            if (image.Format != Enums.BandFormat.Uchar)
                throw new UserInputException($"{path}: pixel format is {image.Format}, not 8-bit; stain normalization needs 8-bit RGB");
        }
        catch (VipsException ex)
        {
            throw new UserInputException($"{path}: not a readable image ({ex.Message.Split('\n', 2)[0].Trim()})", ex);
        }
    }
}
