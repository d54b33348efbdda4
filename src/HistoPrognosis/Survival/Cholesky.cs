namespace HistoPrognosis.Survival;

/// <summary>
/// Cholesky factorization of a symmetric positive-definite matrix (row-major, p×p), used for Newton steps and
/// variances. A pivot below tolerance × the largest diagonal marks the column as linearly dependent on the
/// earlier ones (the rule of R's cholesky2 with toler.chol = eps^0.75).
/// </summary>
internal sealed class Cholesky
{
    public const double DefaultTolerance = 1.8189894035458565e-12; // .Machine$double.eps^0.75

    private readonly double[] _l; // lower triangle, row-major
    private readonly int _p;

    private Cholesky(double[] l, int p) { _l = l; _p = p; }

    /// <summary>Factorizes <paramref name="a"/>; returns null and the first failing column when it is singular.</summary>
    public static Cholesky? TryDecompose(ReadOnlySpan<double> a, int p, out int failedColumn, double tolerance = DefaultTolerance)
    {
        double maxDiag = 0;
        for (int i = 0; i < p; i++) maxDiag = Math.Max(maxDiag, Math.Abs(a[i * p + i]));
        double eps = maxDiag * tolerance;
        var l = new double[p * p];
        for (int j = 0; j < p; j++)
        {
            double d = a[j * p + j];
            for (int k = 0; k < j; k++) d -= l[j * p + k] * l[j * p + k];
            if (!(d > eps) || !double.IsFinite(d)) { failedColumn = j; return null; }
            double ljj = Math.Sqrt(d);
            l[j * p + j] = ljj;
            for (int i = j + 1; i < p; i++)
            {
                double s = a[i * p + j];
                for (int k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
                l[i * p + j] = s / ljj;
            }
        }
        failedColumn = -1;
        return new Cholesky(l, p);
    }

    /// <summary>Solves A x = b.</summary>
    public double[] Solve(ReadOnlySpan<double> b)
    {
        var x = b.ToArray();
        for (int i = 0; i < _p; i++)
        {
            double s = x[i];
            for (int k = 0; k < i; k++) s -= _l[i * _p + k] * x[k];
            x[i] = s / _l[i * _p + i];
        }
        for (int i = _p - 1; i >= 0; i--)
        {
            double s = x[i];
            for (int k = i + 1; k < _p; k++) s -= _l[k * _p + i] * x[k];
            x[i] = s / _l[i * _p + i];
        }
        return x;
    }

    /// <summary>A⁻¹, row-major.</summary>
    public double[] Inverse()
    {
        var inv = new double[_p * _p];
        var e = new double[_p];
        for (int j = 0; j < _p; j++)
        {
            Array.Clear(e);
            e[j] = 1;
            double[] col = Solve(e);
            for (int i = 0; i < _p; i++) inv[i * _p + j] = col[i];
        }
        return inv;
    }
}
