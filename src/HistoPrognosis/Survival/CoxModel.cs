namespace HistoPrognosis.Survival;

/// <summary>
/// A fitted Cox model with the quantities of R's <c>coxph</c>/<c>summary.coxph</c>. The linear predictor is centred on
/// the covariate means, as <c>predict(fit, type="lp")</c>; <see cref="PredictRisk(ReadOnlySpan{double}, double)"/>
/// uses the zero-covariate baseline hazard, so it takes raw covariates.
/// </summary>
public sealed class CoxModel
{
    internal CoxModel(string[] terms, double[] coefficients, double[] variance, double[] means, double logLikNull, double logLik,
        int iterations, CoxTies ties, int n, int events, double[] linearPredictor, CoxBaselineHazard baseline, CoxBaselineHazard breslow)
    {
        Terms = terms; Coefficients = coefficients; Variance = variance; Means = means;
        LogLikelihoodNull = logLikNull; LogLikelihood = logLik; Iterations = iterations; Ties = ties;
        N = n; Events = events; LinearPredictor = linearPredictor; BaselineHazard = baseline; BreslowBaselineHazard = breslow;
        int p = terms.Length;
        StandardErrors = new double[p];
        for (int c = 0; c < p; c++) StandardErrors[c] = Math.Sqrt(variance[c * p + c]);
    }

    public IReadOnlyList<string> Terms { get; }
    public IReadOnlyList<double> Coefficients { get; }
    public double[] StandardErrors { get; }
    /// <summary>Covariance of the coefficients (inverse information), p×p row-major.</summary>
    public IReadOnlyList<double> Variance { get; }
    public IReadOnlyList<double> Means { get; }
    public double LogLikelihoodNull { get; }
    public double LogLikelihood { get; }
    public int Iterations { get; }
    public CoxTies Ties { get; }
    public int N { get; }
    public int Events { get; }
    /// <summary>(x − means)·β for each training subject, in input order.</summary>
    public IReadOnlyList<double> LinearPredictor { get; }
    /// <summary>The baseline R's survfit/basehaz uses for this fit (Efron-corrected for an Efron fit).</summary>
    public CoxBaselineHazard BaselineHazard { get; }
    /// <summary>The plain Breslow estimator of the baseline cumulative hazard.</summary>
    public CoxBaselineHazard BreslowBaselineHazard { get; }

    public double HazardRatio(int term) => Math.Exp(Coefficients[term]);

    public double ZStatistic(int term) => Coefficients[term] / StandardErrors[term];

    /// <summary>Wald p-value, two-sided.</summary>
    public double PValue(int term) => Normal.TwoSidedP(ZStatistic(term));

    /// <summary>Wald interval for the hazard ratio: exp(β ± z·se).</summary>
    public (double Lower, double Upper) HazardRatioConfidenceInterval(int term, double level = 0.95)
    {
        double z = Normal.Quantile(1 - (1 - level) / 2);
        return (Math.Exp(Coefficients[term] - z * StandardErrors[term]), Math.Exp(Coefficients[term] + z * StandardErrors[term]));
    }

    /// <summary>Likelihood-ratio test against the null model: 2(ℓ − ℓ₀), df = p.</summary>
    public (double ChiSquare, int DegreesOfFreedom, double P) LikelihoodRatioTest
    {
        get
        {
            double chisq = 2 * (LogLikelihood - LogLikelihoodNull);
            return (chisq, Terms.Count, ChiSquare.SurvivalFunction(chisq, Terms.Count));
        }
    }

    /// <summary>Linear predictor of new covariates, centred as <see cref="LinearPredictor"/>.</summary>
    public double PredictLinear(ReadOnlySpan<double> x)
    {
        CheckCovariates(x);
        double eta = 0;
        for (int c = 0; c < x.Length; c++) eta += (x[c] - Means[c]) * Coefficients[c];
        return eta;
    }

    /// <summary>Predicted probability of the event by t: 1 − exp(−H₀(t)·exp(x·β)).</summary>
    public double PredictRisk(ReadOnlySpan<double> x, double t)
    {
        CheckCovariates(x);
        double eta = 0;
        for (int c = 0; c < x.Length; c++) eta += x[c] * Coefficients[c];
        return 1 - Math.Exp(-BaselineHazard.At(t) * Math.Exp(eta));
    }

    /// <summary>Predicted event probability by t for each row of <paramref name="x"/>.</summary>
    public double[] PredictRisk(double[,] x, double t)
    {
        var row = new double[x.GetLength(1)];
        var risk = new double[x.GetLength(0)];
        for (int i = 0; i < risk.Length; i++)
        {
            for (int c = 0; c < row.Length; c++) row[c] = x[i, c];
            risk[i] = PredictRisk(row, t);
        }
        return risk;
    }

    private void CheckCovariates(ReadOnlySpan<double> x)
    {
        if (x.Length != Terms.Count) throw new ArgumentException($"Expected {Terms.Count} covariates, got {x.Length}.");
    }
}
