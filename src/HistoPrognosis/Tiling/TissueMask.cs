namespace HistoPrognosis.Tiling;

/// <summary>
/// A binary tissue mask over a slide overview: <c>true</c> = tissue. Each mask pixel spans
/// <see cref="DownsampleX"/> × <see cref="DownsampleY"/> level-0 pixels. Answers "what fraction of this level-0
/// rectangle is tissue" in O(1) through a summed-area table.
/// </summary>
public sealed class TissueMask
{
    private readonly int[] _integral; // (Width + 1) × (Height + 1)

    public TissueMask(int width, int height, bool[] pixels, double downsampleX, double downsampleY, int threshold = -1)
    {
        if (pixels.Length != width * height) throw new ArgumentException("mask size mismatch", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
        DownsampleX = downsampleX;
        DownsampleY = downsampleY;
        Threshold = threshold;
        _integral = new int[(width + 1) * (height + 1)];
        for (int y = 0; y < height; y++)
        {
            int row = 0;
            for (int x = 0; x < width; x++)
            {
                row += pixels[y * width + x] ? 1 : 0;
                _integral[(y + 1) * (width + 1) + x + 1] = _integral[y * (width + 1) + x + 1] + row;
            }
        }
    }

    public int Width { get; }
    public int Height { get; }
    public bool[] Pixels { get; }
    public double DownsampleX { get; }
    public double DownsampleY { get; }

    /// <summary>The saturation threshold (0–255) the detector used, or -1 when the mask was given.</summary>
    public int Threshold { get; }

    public int TissuePixels => _integral[^1];

    /// <summary>Fraction of tissue in a level-0 rectangle, counting every mask pixel whose centre falls inside it.</summary>
    public double Fraction(long x0, long y0, double width0, double height0)
    {
        int mx0 = Math.Clamp((int)Math.Round(x0 / DownsampleX), 0, Width), mx1 = Math.Clamp((int)Math.Round((x0 + width0) / DownsampleX), 0, Width);
        int my0 = Math.Clamp((int)Math.Round(y0 / DownsampleY), 0, Height), my1 = Math.Clamp((int)Math.Round((y0 + height0) / DownsampleY), 0, Height);
        if (mx1 <= mx0) mx1 = Math.Min(Width, mx0 + 1);
        if (my1 <= my0) my1 = Math.Min(Height, my0 + 1);
        if (mx1 <= mx0 || my1 <= my0) return 0;
        int w1 = Width + 1;
        int sum = _integral[my1 * w1 + mx1] - _integral[my0 * w1 + mx1] - _integral[my1 * w1 + mx0] + _integral[my0 * w1 + mx0];
        return (double)sum / ((mx1 - mx0) * (my1 - my0));
    }
}
