using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>Optical densities of the tissue pixels of an image, flattened (R, G, B per pixel).</summary>
public static class TissueOd
{
    public static double[] Collect(RgbImage image, double luminosityThreshold, out int count)
    {
        var mask = TissueMask.Compute(image, luminosityThreshold);
        count = mask.Count(m => m);
        var od = new double[count * 3];
        var px = image.Pixels;
        for (int p = 0, k = 0; p < mask.Length; p++)
        {
            if (!mask[p]) continue;
            od[k++] = OpticalDensity.Of(px[3 * p]);
            od[k++] = OpticalDensity.Of(px[3 * p + 1]);
            od[k++] = OpticalDensity.Of(px[3 * p + 2]);
        }
        return od;
    }
}
