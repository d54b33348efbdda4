using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>
/// A faithful port of TIAToolbox 2.0.1's Vahadane extractor (sklearn DictionaryLearning on the transposed tissue
/// OD: 2 atoms, α = 0.1, LARS fit, SVD start, 3 iterations, positive dictionary), kept only to check this code
/// against the reference outputs. Its stain matrix is sklearn's sparse code and may be negative, so the public
/// <see cref="VahadaneExtractor"/> does not use it.
/// </summary>
internal sealed class TiaToolboxVahadane(bool sklearn13 = false) : IStainExtractor
{
    private const double Alpha = 0.1;
    private const int MaxIter = 3;

    public StainMatrix Extract(RgbImage image)
    {
        var od = TissueOd.Collect(image, TissueMask.DefaultThreshold, out int n);
        // X is 3 × n (channels are sklearn's samples); code is 3 × 2, dictionary 2 × n.
        var (code, dictionary) = SvdStart(od, n);
        double previous = double.NaN;
        for (int iteration = 0; iteration < MaxIter; iteration++)
        {
            code = Encode(od, n, dictionary);
            UpdateDictionary(od, n, code, dictionary);
            double cost = Cost(od, n, code, dictionary);
            if (iteration > 0 && previous - cost < 1e-8 * cost) break;
            previous = cost;
        }
        // sklearn < 1.3: fit_transform = fit().transform() re-encodes against the final dictionary.
        if (!sklearn13) code = Encode(od, n, dictionary);
        double[] first = [code[0, 0], code[1, 0], code[2, 0]], second = [code[0, 1], code[1, 1], code[2, 1]];
        return first[0] < second[0] ? StainMatrix.FromUnordered(second, first) : StainMatrix.FromUnordered(first, second);
    }

    private static (double[,] Code, double[][] Dictionary) SvdStart(double[] od, int n)
    {
        var gram = new double[3, 3];
        for (int i = 0; i < n; i++)
        for (int r = 0; r < 3; r++)
        for (int s = 0; s < 3; s++)
            gram[r, s] += od[3 * i + r] * od[3 * i + s];
        var (_, u) = SymmetricEigen3.Decompose(gram);
        var code = new double[3, 2];
        var dictionary = new double[2][];
        for (int k = 0; k < 2; k++)
        {
            int col = 2 - k; // singular vectors by decreasing singular value
            // svd_flip: the largest-magnitude entry of each left singular vector is made positive.
            int arg = 0;
            for (int r = 1; r < 3; r++) if (Math.Abs(u[r, col]) > Math.Abs(u[arg, col])) arg = r;
            double sign = Math.Sign(u[arg, col]);
            for (int r = 0; r < 3; r++) code[r, k] = u[r, col] * sign;
            // S·Vᵀ row k equals uₖᵀ X.
            var atom = new double[n];
            for (int i = 0; i < n; i++) atom[i] = code[0, k] * od[3 * i] + code[1, k] * od[3 * i + 1] + code[2, k] * od[3 * i + 2];
            dictionary[k] = atom;
        }
        return (code, dictionary);
    }

    // sparse_encode with lasso_lars: for each channel row x of X, the lasso of x on the two atoms.
    private static double[,] Encode(double[] od, int n, double[][] d)
    {
        double g00 = Dot(d[0], d[0]), g01 = Dot(d[0], d[1]), g11 = Dot(d[1], d[1]);
        var code = new double[3, 2];
        for (int r = 0; r < 3; r++)
        {
            double b0 = 0, b1 = 0;
            for (int i = 0; i < n; i++)
            {
                b0 += d[0][i] * od[3 * i + r];
                b1 += d[1][i] * od[3 * i + r];
            }
            var (c0, c1) = Lasso2.Solve(g00, g01, g11, b0, b1, Alpha, positive: false);
            code[r, 0] = c0;
            code[r, 1] = c1;
        }
        return code;
    }

    // sklearn's _update_dict with positive=True: block coordinate step, clip at 0, project onto ‖atom‖ ≤ 1.
    private static void UpdateDictionary(double[] od, int n, double[,] code, double[][] d)
    {
        var a = new double[2, 2];
        for (int k = 0; k < 2; k++)
        for (int l = 0; l < 2; l++)
            for (int r = 0; r < 3; r++) a[k, l] += code[r, k] * code[r, l];
        for (int k = 0; k < 2; k++)
        {
            if (a[k, k] <= 1e-6) throw new InvalidOperationException("unused atom: sklearn would resample it at random");
            var atom = d[k];
            double norm2 = 0;
            for (int i = 0; i < n; i++)
            {
                double b = code[0, k] * od[3 * i] + code[1, k] * od[3 * i + 1] + code[2, k] * od[3 * i + 2];
                double v = atom[i] + (b - a[k, 0] * d[0][i] - a[k, 1] * d[1][i]) / a[k, k];
                atom[i] = v > 0 ? v : 0;
                norm2 += atom[i] * atom[i];
            }
            double scale = Math.Max(Math.Sqrt(norm2), 1);
            for (int i = 0; i < n; i++) atom[i] /= scale;
        }
    }

    private static double Cost(double[] od, int n, double[,] code, double[][] d)
    {
        double sum = 0;
        for (int i = 0; i < n; i++)
        for (int r = 0; r < 3; r++)
        {
            double e = od[3 * i + r] - code[r, 0] * d[0][i] - code[r, 1] * d[1][i];
            sum += e * e;
        }
        double l1 = 0;
        foreach (var v in code) l1 += Math.Abs(v);
        return 0.5 * sum + Alpha * l1;
    }

    private static double Dot(double[] x, double[] y)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }
}
