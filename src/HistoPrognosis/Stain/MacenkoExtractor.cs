using System.Buffers;
using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>
/// Macenko et al. (2009) as TIAToolbox implements it: the plane of the two main eigenvectors of the tissue OD
/// covariance, and the stain vectors at the 1st and 99th percentile of the angle within that plane.
/// </summary>
public sealed class MacenkoExtractor(double luminosityThreshold = TissueMask.DefaultThreshold, double angularPercentile = 99) : IStainExtractor
{
    public double LuminosityThreshold { get; } = luminosityThreshold;
    public double AngularPercentile { get; } = angularPercentile;

    public StainMatrix Extract(RgbImage image)
    {
        var od = TissueOd.Rent(image, LuminosityThreshold, out int n);
        try
        {
            return FromOd(od.AsSpan(0, 3 * n), n);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(od);
        }
    }

    /// <summary>Stain vectors from tissue optical densities (R, G, B per pixel, <paramref name="n"/> pixels).</summary>
    public StainMatrix FromOd(ReadOnlySpan<double> od, int n)
    {
        if (n < 2) throw new UserInputException("too few tissue pixels to estimate stain vectors");
        var (_, vectors) = SymmetricEigen3.Decompose(Covariance(od, n));
        // Largest and second-largest eigenvectors, each pointing towards positive red (TIAToolbox's convention).
        var e1 = Column(vectors, 2);
        var e2 = Column(vectors, 1);
        if (e1[0] < 0) Negate(e1);
        if (e2[0] < 0) Negate(e2);
        // Percentiles of φ = atan2(od·e2, od·e1), selected on a monotone pseudo-angle: atan2 only for two pixels.
        var rented = ArrayPool<double>.Shared.Rent(n);
        try
        {
            var key = rented.AsSpan(0, n);
            for (int i = 0; i < n; i++)
            {
                double r = od[3 * i], g = od[3 * i + 1], b = od[3 * i + 2];
                key[i] = PseudoAngle(r * e1[0] + g * e1[1] + b * e1[2], r * e2[0] + g * e2[1] + b * e2[2]);
            }
            double minPhi = Percentile.Linear(key, 100 - AngularPercentile, AngleOf);
            double maxPhi = Percentile.Linear(key, AngularPercentile, AngleOf);
            return StainMatrix.FromUnordered(Direction(e1, e2, minPhi), Direction(e1, e2, maxPhi));
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    // Strictly increasing in atan2(y, x) over (−π, π]: (−2, 2], the signed L1 "diamond" angle.
    private static double PseudoAngle(double x, double y)
    {
        double l1 = Math.Abs(x) + Math.Abs(y);
        return l1 == 0 ? 0 : Math.CopySign(1 - x / l1, y);
    }

    private static double AngleOf(double key)
    {
        double t = 1 - Math.Abs(key); // x / (|x| + |y|)
        return Math.Atan2(Math.CopySign(1 - Math.Abs(t), key), t);
    }

    // numpy.cov(rowvar=False): centred, divided by n − 1.
    private static double[,] Covariance(ReadOnlySpan<double> od, int n)
    {
        double m0 = 0, m1 = 0, m2 = 0;
        for (int i = 0; i < n; i++) { m0 += od[3 * i]; m1 += od[3 * i + 1]; m2 += od[3 * i + 2]; }
        m0 /= n; m1 /= n; m2 /= n;
        double s00 = 0, s01 = 0, s02 = 0, s11 = 0, s12 = 0, s22 = 0;
        for (int i = 0; i < n; i++)
        {
            double a = od[3 * i] - m0, b = od[3 * i + 1] - m1, c = od[3 * i + 2] - m2;
            s00 += a * a; s01 += a * b; s02 += a * c; s11 += b * b; s12 += b * c; s22 += c * c;
        }
        double d = n - 1;
        return new double[3, 3] { { s00 / d, s01 / d, s02 / d }, { s01 / d, s11 / d, s12 / d }, { s02 / d, s12 / d, s22 / d } };
    }

    private static double[] Direction(double[] e1, double[] e2, double phi)
    {
        double c = Math.Cos(phi), s = Math.Sin(phi);
        return [e1[0] * c + e2[0] * s, e1[1] * c + e2[1] * s, e1[2] * c + e2[2] * s];
    }

    private static double[] Column(double[,] m, int k) => [m[0, k], m[1, k], m[2, k]];

    private static void Negate(double[] v)
    {
        for (int i = 0; i < v.Length; i++) v[i] = -v[i];
    }
}
