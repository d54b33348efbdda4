using System.Buffers;
using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>Optical densities of the tissue pixels of an image, flattened (R, G, B per pixel).</summary>
public static class TissueOd
{
    /// <summary>The tissue optical densities in an array of exactly 3 × <paramref name="count"/> values.</summary>
    public static double[] Collect(RgbImage image, double luminosityThreshold, out int count)
    {
        var rented = Rent(image, luminosityThreshold, out count);
        try
        {
            return rented.AsSpan(0, 3 * count).ToArray();
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The same values at the start of an array from <see cref="ArrayPool{T}.Shared"/>, which the caller returns:
    /// per-tile normalization would otherwise allocate megabytes per tile on the large-object heap.
    /// </summary>
    public static double[] Rent(RgbImage image, double luminosityThreshold, out int count)
    {
        var tissue = ArrayPool<byte>.Shared.Rent(image.Pixels.Length);
        try
        {
            count = TissueMask.CollectTissue(image, tissue, luminosityThreshold);
            var od = ArrayPool<double>.Shared.Rent(3 * count);
            for (int k = 0; k < 3 * count; k++) od[k] = OpticalDensity.Of(tissue[k]);
            return od;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(tissue);
        }
    }
}
