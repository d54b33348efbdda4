using HistoPrognosis.Imaging;

namespace HistoPrognosis.Transforms;

/// <summary>Mirrors horizontally and/or vertically, each with its own probability.</summary>
public sealed class RandomFlip(double horizontalProbability = 0.5, double verticalProbability = 0.5) : ITransform
{
    public RgbImage Apply(RgbImage image, Random rng)
    {
        // Draw both decisions every time so the stream consumed per sample does not depend on the outcome.
        bool h = rng.NextDouble() < horizontalProbability, v = rng.NextDouble() < verticalProbability;
        return Flip(image, h, v);
    }

    public static RgbImage Flip(RgbImage image, bool horizontal, bool vertical)
    {
        int w = image.Width, hgt = image.Height;
        var output = new byte[image.Pixels.Length];
        for (int y = 0; y < hgt; y++)
        {
            int sy = vertical ? hgt - 1 - y : y;
            for (int x = 0; x < w; x++)
            {
                int sx = horizontal ? w - 1 - x : x;
                int s = (sy * w + sx) * 3, d = (y * w + x) * 3;
                output[d] = image.Pixels[s];
                output[d + 1] = image.Pixels[s + 1];
                output[d + 2] = image.Pixels[s + 2];
            }
        }
        return new RgbImage(w, hgt, output);
    }
}

/// <summary>Rotates by 0, 90, 180 or 270 degrees counter-clockwise, uniformly (tissue has no "up").</summary>
public sealed class RandomRotate90 : ITransform
{
    public RgbImage Apply(RgbImage image, Random rng) => Rotate(image, rng.Next(4));

    /// <summary>Counter-clockwise rotation by <paramref name="quarterTurns"/> × 90°; width and height swap for odd turns.</summary>
    public static RgbImage Rotate(RgbImage image, int quarterTurns)
    {
        int turns = ((quarterTurns % 4) + 4) % 4;
        if (turns == 0) return new RgbImage(image.Width, image.Height, (byte[])image.Pixels.Clone());
        int w = image.Width, h = image.Height;
        int ow = turns == 2 ? w : h, oh = turns == 2 ? h : w;
        var output = new byte[image.Pixels.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            var (ox, oy) = turns switch
            {
                1 => (y, w - 1 - x),          // 90° CCW: top-right corner goes to top-left
                2 => (w - 1 - x, h - 1 - y),
                _ => (h - 1 - y, x),          // 270° CCW
            };
            int s = (y * w + x) * 3, d = (oy * ow + ox) * 3;
            output[d] = image.Pixels[s];
            output[d + 1] = image.Pixels[s + 1];
            output[d + 2] = image.Pixels[s + 2];
        }
        return new RgbImage(ow, oh, output);
    }
}

/// <summary>Bilinear resize to a fixed size (pixel centres aligned, as OpenCV INTER_LINEAR and torchvision without antialias).</summary>
public sealed class Resize(int width, int height) : ITransform
{
    public int Width { get; } = width > 0 ? width : throw new ArgumentOutOfRangeException(nameof(width));
    public int Height { get; } = height > 0 ? height : throw new ArgumentOutOfRangeException(nameof(height));

    public RgbImage Apply(RgbImage image, Random rng) => To(image, Width, Height);

    public static RgbImage To(RgbImage image, int width, int height)
    {
        if (image.Width == width && image.Height == height) return new RgbImage(width, height, (byte[])image.Pixels.Clone());
        var output = new byte[width * height * 3];
        double sx = (double)image.Width / width, sy = (double)image.Height / height;
        for (int y = 0; y < height; y++)
        {
            double fy = Math.Clamp((y + 0.5) * sy - 0.5, 0, image.Height - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, image.Height - 1);
            double wy = fy - y0;
            for (int x = 0; x < width; x++)
            {
                double fx = Math.Clamp((x + 0.5) * sx - 0.5, 0, image.Width - 1);
                int x0 = (int)fx, x1 = Math.Min(x0 + 1, image.Width - 1);
                double wx = fx - x0;
                for (int c = 0; c < 3; c++)
                {
                    double top = image.Pixels[image.Offset(x0, y0) + c] * (1 - wx) + image.Pixels[image.Offset(x1, y0) + c] * wx;
                    double bottom = image.Pixels[image.Offset(x0, y1) + c] * (1 - wx) + image.Pixels[image.Offset(x1, y1) + c] * wx;
                    output[(y * width + x) * 3 + c] = (byte)Math.Round(top * (1 - wy) + bottom * wy);
                }
            }
        }
        return new RgbImage(width, height, output);
    }
}
