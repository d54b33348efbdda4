using HistoPrognosis.Imaging;

namespace HistoPrognosis.Tiling;

/// <summary>Area-averaging (box) resampling: each output pixel is the exact area-weighted mean of the input it covers.</summary>
public static class Resampler
{
    public static RgbImage Area(RgbImage src, int width, int height)
    {
        if (src.Width == width && src.Height == height) return src;
        var (xIdx, xW) = Weights(src.Width, width);
        var (yIdx, yW) = Weights(src.Height, height);
        // Horizontal pass into a float buffer, then vertical.
        var tmp = new float[src.Height * width * 3];
        var sp = src.Pixels;
        for (int y = 0; y < src.Height; y++)
        for (int x = 0; x < width; x++)
        {
            float r = 0, g = 0, b = 0;
            for (int k = 0; k < xIdx[x].Length; k++)
            {
                int o = (y * src.Width + xIdx[x][k]) * 3;
                float w = xW[x][k];
                r += w * sp[o]; g += w * sp[o + 1]; b += w * sp[o + 2];
            }
            int t = (y * width + x) * 3;
            tmp[t] = r; tmp[t + 1] = g; tmp[t + 2] = b;
        }
        var dst = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            float r = 0, g = 0, b = 0;
            for (int k = 0; k < yIdx[y].Length; k++)
            {
                int o = (yIdx[y][k] * width + x) * 3;
                float w = yW[y][k];
                r += w * tmp[o]; g += w * tmp[o + 1]; b += w * tmp[o + 2];
            }
            int d = (y * width + x) * 3;
            dst[d] = Clamp(r); dst[d + 1] = Clamp(g); dst[d + 2] = Clamp(b);
        }
        return new RgbImage(width, height, dst);
    }

    private static byte Clamp(float v) => (byte)Math.Clamp((int)MathF.Round(v), 0, 255);

    // For each output index: the input indices it overlaps and their normalised overlap weights.
    // Upsampling (output larger) falls back to nearest-neighbour coverage, which the same formula gives.
    private static (int[][] Index, float[][] Weight) Weights(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        var idx = new int[outSize][];
        var wts = new float[outSize][];
        for (int o = 0; o < outSize; o++)
        {
            double a = o * scale, b = (o + 1) * scale;
            int i0 = (int)Math.Floor(a), i1 = Math.Min(inSize, (int)Math.Ceiling(b));
            var ii = new List<int>();
            var ww = new List<float>();
            for (int i = i0; i < i1; i++)
            {
                double overlap = Math.Min(b, i + 1) - Math.Max(a, i);
                if (overlap <= 1e-9) continue;
                ii.Add(i);
                ww.Add((float)(overlap / scale));
            }
            idx[o] = ii.ToArray();
            wts[o] = ww.ToArray();
        }
        return (idx, wts);
    }
}
