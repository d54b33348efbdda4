namespace HistoPrognosis.Survival;

/// <summary>
/// Cox proportional hazards regression as R's <c>coxph</c>: covariates centred on their means (except columns of
/// −1/0/1 values, R's <c>nocenter</c>), Newton–Raphson from
/// β = 0 with step halving when the log-likelihood falls, converged when |1 − ℓ_old/ℓ_new| ≤ 1e-9 (coxph.control
/// defaults: eps = 1e-9, iter.max = 20, toler.chol = eps^0.75, toler.inf = sqrt(eps)). Where R would only warn, this
/// throws a <see cref="CoxFitException"/> naming the covariate: a constant or collinear column, no convergence within
/// the iteration limit, or a coefficient drifting to infinity (monotone likelihood).
/// </summary>
public static class CoxRegression
{
    public const int DefaultMaxIterations = 20;
    public const double DefaultTolerance = 1e-9;

    public static CoxModel Fit(double[][] x, ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, CoxTies ties = CoxTies.Efron,
        IReadOnlyList<string>? names = null, int maxIterations = DefaultMaxIterations)
    {
        ArgumentNullException.ThrowIfNull(x);
        int p = x.Length == 0 ? 0 : x[0].Length;
        var m = new double[x.Length, p];
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i].Length != p) throw new ArgumentException($"Row {i} of x has {x[i].Length} covariates, row 0 has {p}.");
            for (int c = 0; c < p; c++) m[i, c] = x[i][c];
        }
        return Fit(m, time, @event, ties, names, maxIterations);
    }

    public static CoxModel Fit(double[,] x, ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, CoxTies ties = CoxTies.Efron,
        IReadOnlyList<string>? names = null, int maxIterations = DefaultMaxIterations)
    {
        ArgumentNullException.ThrowIfNull(x);
        SurvivalInput.Check(time, @event);
        int n = time.Length, p = x.GetLength(1);
        SurvivalInput.CheckLength(n, x.GetLength(0), "x (rows)");
        if (p == 0) throw new ArgumentException("The Cox model needs at least one covariate.");
        string[] terms = names?.ToArray() ?? Enumerable.Range(1, p).Select(c => $"x{c}").ToArray();
        if (terms.Length != p) throw new ArgumentException($"{terms.Length} names given for {p} covariates.");

        var means = new double[p];
        for (int c = 0; c < p; c++)
        {
            double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
            bool indicator = true;
            for (int i = 0; i < n; i++)
            {
                double v = x[i, c];
                if (!double.IsFinite(v)) throw new CoxFitException($"Covariate '{terms[c]}' has a non-finite value ({v}) in row {i}.", terms[c]);
                sum += v; min = Math.Min(min, v); max = Math.Max(max, v);
                indicator &= v is -1 or 0 or 1;
            }
            if (min == max) throw new CoxFitException($"Covariate '{terms[c]}' is constant ({min}); its coefficient is not identifiable.", terms[c]);
            // coxph's nocenter = c(-1, 0, 1): indicator columns keep mean 0, which fixes the centring of predict(type="lp").
            means[c] = indicator ? 0 : sum / n;
        }

        // Rows in ascending time order, centred; blocks of equal (timefix-merged) times.
        double[] t = TimeFix.Apply(time);
        int[] order = Ranking.OrderByTime(t);
        var xs = new double[n * p];
        var ev = new bool[n];
        var groupEnd = new List<int>();
        for (int k = 0; k < n; k++)
        {
            int i = order[k];
            for (int c = 0; c < p; c++) xs[k * p + c] = x[i, c] - means[c];
            ev[k] = @event[i];
            if (k + 1 == n || t[order[k + 1]] != t[i]) groupEnd.Add(k + 1);
        }
        var likelihood = new CoxPartialLikelihood(xs, ev, groupEnd.ToArray(), p, ties);
        var solution = NewtonRaphson(likelihood, p, terms, maxIterations);

        var linearPredictor = new double[n];
        for (int i = 0; i < n; i++)
        {
            double eta = 0;
            for (int c = 0; c < p; c++) eta += (x[i, c] - means[c]) * solution.Beta[c];
            linearPredictor[i] = eta;
        }
        var sortedTimes = new double[n];
        for (int k = 0; k < n; k++) sortedTimes[k] = t[order[k]];
        var riskScores = new double[n];
        for (int k = 0; k < n; k++) riskScores[k] = Math.Exp(linearPredictor[order[k]]);
        double meanEta = 0;
        for (int c = 0; c < p; c++) meanEta += means[c] * solution.Beta[c];

        var baseline = CoxBaselineHazard.Estimate(sortedTimes, ev, riskScores, ties, meanEta);
        var breslow = ties == CoxTies.Breslow ? baseline : CoxBaselineHazard.Estimate(sortedTimes, ev, riskScores, CoxTies.Breslow, meanEta);
        int events = 0;
        foreach (bool e in @event) if (e) events++;
        return new CoxModel(terms, solution.Beta, solution.Variance, means, solution.LogLikNull, solution.LogLik,
            solution.Iterations, ties, n, events, linearPredictor, baseline, breslow);
    }

    private sealed record Solution(double[] Beta, double[] Variance, double LogLikNull, double LogLik, int Iterations);

    private static Solution NewtonRaphson(CoxPartialLikelihood likelihood, int p, string[] terms, int maxIterations)
    {
        var beta = new double[p];
        var score = new double[p];
        var info = new double[p * p];
        double loglik = likelihood.Evaluate(beta, score, info);
        double loglikNull = loglik;
        var chol = Factor(info, p, terms);
        double[] step = chol.Solve(score);
        var newBeta = new double[p];
        for (int c = 0; c < p; c++) newBeta[c] = beta[c] + step[c];

        var newScore = new double[p];
        var newInfo = new double[p * p];
        bool halving = false;
        for (int iter = 1; iter <= maxIterations; iter++)
        {
            double newLoglik = likelihood.Evaluate(newBeta, newScore, newInfo);
            bool finite = double.IsFinite(newLoglik);
            if (finite && !halving && Math.Abs(1 - loglik / newLoglik) <= DefaultTolerance)
            {
                var finalChol = Factor(newInfo, p, terms);
                double[] variance = finalChol.Inverse();
                CheckFinite(newScore, variance, newBeta, p, terms);
                return new Solution(newBeta, variance, loglikNull, newLoglik, iter);
            }
            if (!finite || newLoglik < loglik)
            {
                // Worse: go half-way back towards the last accepted β, as coxfit6 does.
                halving = true;
                for (int c = 0; c < p; c++) newBeta[c] = (newBeta[c] + beta[c]) / 2;
                continue;
            }
            halving = false;
            loglik = newLoglik;
            Array.Copy(newBeta, beta, p);
            Array.Copy(newScore, score, p);
            Array.Copy(newInfo, info, p * p);
            step = Factor(info, p, terms).Solve(score);
            for (int c = 0; c < p; c++) newBeta[c] = beta[c] + step[c];
        }
        int worst = ArgMax(step.Select(Math.Abs).ToArray());
        throw new CoxFitException(
            $"The Cox model did not converge in {maxIterations} iterations; covariate '{terms[worst]}' (coefficient {newBeta[worst]:G6}) " +
            "is still moving, which usually means its coefficient is infinite (perfect separation).", terms[worst]);
    }

    private static Cholesky Factor(double[] info, int p, string[] terms) =>
        Cholesky.TryDecompose(info, p, out int failed)
        ?? throw new CoxFitException(
            $"The Cox design is singular: covariate '{terms[failed]}' is collinear with the covariates before it" +
            (failed == 0 ? " (or carries no information at the event times)." : $" ({string.Join(", ", terms.Take(failed))})."),
            terms[failed]);

    // R's coxph warns "coefficient may be infinite" when the next Newton step is still large; we refuse instead.
    private static void CheckFinite(double[] score, double[] variance, double[] beta, int p, string[] terms)
    {
        double tolerance = Math.Sqrt(DefaultTolerance);
        for (int c = 0; c < p; c++)
        {
            double next = 0;
            for (int e = 0; e < p; e++) next += score[e] * variance[e * p + c];
            next = Math.Abs(next);
            if (next > tolerance && next > tolerance * Math.Abs(beta[c]))
                throw new CoxFitException(
                    $"The Cox log-likelihood converged before covariate '{terms[c]}' did (coefficient {beta[c]:G6}): it may be infinite (monotone likelihood).",
                    terms[c]);
        }
    }

    private static int ArgMax(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
