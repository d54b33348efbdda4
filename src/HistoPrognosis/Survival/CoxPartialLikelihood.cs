namespace HistoPrognosis.Survival;

/// <summary>
/// Log partial likelihood, score and information of the Cox model for one β, with Efron or Breslow ties, by one sweep
/// from the latest time to the earliest that keeps running sums over the risk set: O(n·p²) per evaluation.
/// Covariates are centred by the caller (as coxph does) so exp(η) stays in range.
/// </summary>
internal sealed class CoxPartialLikelihood
{
    private readonly double[] _x;      // n×p centred covariates, row-major, rows in ascending time order
    private readonly bool[] _event;    // in the same order
    private readonly int[] _groupEnd;  // exclusive end of each block of tied times, ascending
    private readonly int _n, _p;
    private readonly CoxTies _ties;

    public CoxPartialLikelihood(double[] x, bool[] @event, int[] groupEnd, int p, CoxTies ties)
    {
        _x = x; _event = @event; _groupEnd = groupEnd; _n = @event.Length; _p = p; _ties = ties;
    }

    /// <summary>Fills <paramref name="score"/> (p) and <paramref name="information"/> (p×p); returns the log-likelihood.</summary>
    public double Evaluate(ReadOnlySpan<double> beta, Span<double> score, Span<double> information)
    {
        int p = _p;
        score.Clear();
        information.Clear();
        double s0 = 0;
        Span<double> s1 = stackalloc double[p];
        Span<double> d1 = stackalloc double[p];
        var s2 = new double[p * p];
        var d2 = new double[p * p];
        s1.Clear();
        double loglik = 0;

        for (int gi = _groupEnd.Length - 1; gi >= 0; gi--)
        {
            int end = _groupEnd[gi], start = gi == 0 ? 0 : _groupEnd[gi - 1];
            double dCount = 0, d0 = 0;
            d1.Clear();
            Array.Clear(d2);
            // Everyone with this time joins the risk set; the events among them also form the tie sums.
            for (int i = start; i < end; i++)
            {
                ReadOnlySpan<double> xi = _x.AsSpan(i * p, p);
                double eta = 0;
                for (int c = 0; c < p; c++) eta += xi[c] * beta[c];
                double r = Math.Exp(eta);
                s0 += r;
                AddOuter(s1, s2, xi, r, p);
                if (_event[i])
                {
                    dCount++;
                    d0 += r;
                    AddOuter(d1, d2, xi, r, p);
                    loglik += eta;
                    for (int c = 0; c < p; c++) score[c] += xi[c];
                }
            }
            if (dCount == 0) continue;

            int steps = _ties == CoxTies.Efron ? (int)dCount : 1;
            double multiplicity = _ties == CoxTies.Efron ? 1 : dCount;
            for (int k = 0; k < steps; k++)
            {
                double f = _ties == CoxTies.Efron ? k / dCount : 0;
                double a0 = s0 - f * d0;
                loglik -= multiplicity * Math.Log(a0);
                for (int c = 0; c < p; c++)
                {
                    double meanC = (s1[c] - f * d1[c]) / a0;
                    score[c] -= multiplicity * meanC;
                    for (int e = 0; e <= c; e++)
                    {
                        double meanE = (s1[e] - f * d1[e]) / a0;
                        information[c * p + e] += multiplicity * ((s2[c * p + e] - f * d2[c * p + e]) / a0 - meanC * meanE);
                    }
                }
            }
        }
        for (int c = 0; c < p; c++)
            for (int e = 0; e < c; e++) information[e * p + c] = information[c * p + e];
        return loglik;
    }

    // Adds r·x to sum1 and r·x xᵀ (lower triangle) to sum2.
    private static void AddOuter(Span<double> sum1, double[] sum2, ReadOnlySpan<double> x, double r, int p)
    {
        for (int c = 0; c < p; c++)
        {
            double rx = r * x[c];
            sum1[c] += rx;
            int row = c * p;
            for (int e = 0; e <= c; e++) sum2[row + e] += rx * x[e];
        }
    }
}
