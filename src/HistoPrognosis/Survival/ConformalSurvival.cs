namespace HistoPrognosis.Survival;

/// <summary>
/// A calibrated conformal lower bound: L(r) = min(exp(q − r), c₀) for a patient with risk score r, or 0 when the
/// calibration sample is too small for the level (<see cref="Quantile"/> null, the quantile is −∞).
/// </summary>
public sealed record ConformalCalibration(double Level, double Cutoff, double? Quantile, int Patients, int KnownScores)
{
    public double LowerBound(double risk) => Quantile is double q ? Math.Min(Math.Exp(q - risk), Cutoff) : 0;
}

/// <summary>
/// Coverage P(T ≥ L) of lower bounds on test patients. A patient followed to at least L is covered (T ≥ time ≥ L); one
/// with an event before L is not; one censored before L is unknown: <see cref="Lower"/> counts the unknown as misses,
/// <see cref="Upper"/> as hits. <see cref="Ipcw"/> reweights the known ones by the inverse probability of their status
/// being observed (1/G(L−) for the covered, 1/G(T−) for the missed; G the censoring Kaplan–Meier of these patients),
/// normalised by the sum of weights (Hájek); null when no status is known.
/// </summary>
public sealed record ConformalCoverage(int Patients, int Covered, int Missed, int Unknown, double Lower, double Upper, double? Ipcw);

/// <summary>
/// Conformal lower predictive bounds on survival time from any risk score (higher = earlier event), after Candès, Lei
/// &amp; Ren 2023 (JRSS-B 85:24, "Conformalized survival analysis"). Their method targets T ∧ c₀ for a threshold c₀, uses
/// the calibration patients whose censoring time C ≥ c₀ (on them T ∧ c₀ is observed) and reweights them by
/// 1/P(C ≥ c₀ | x) in a weighted split-conformal quantile; with C observed for everyone (Type I censoring) the bound has
/// finite-sample coverage P(T ≥ L) ≥ 1 − α.
/// <para>
/// Here C is not observed for patients with an event, so the variant implemented keeps every calibration patient whose
/// score is observed and weights it by inverse probability of that observation: the nonconformity score
/// V = log(min(T, c₀)) + r is known when the patient had an event (before c₀) or was followed to c₀, and is then weighted
/// 1/Ĝ(min(T, c₀)−), Ĝ the Kaplan–Meier of the censoring times of the calibration patients. This assumes censoring
/// independent of (T, x) (homogeneous censoring, the same assumption under which CLR's weights are a constant). The
/// quantile is weighted split conformal's for a lower bound (Tibshirani et al. 2019), the test patient's weight — taken as
/// the largest possible, 1/Ĝ(c₀−) — put at −∞: q = the largest Vᵢ with w_test + Σ_{V_j &lt; Vᵢ} w_j ≤ α·(Σ w + w_test);
/// with no censoring it is the ⌊α(n+1)⌋-th smallest score, the exact split-conformal bound. Then T ∧ c₀ ≥ L ⇔ V ≥ q,
/// so P(T ≥ L) ≥ 1 − α up to the error of Ĝ: the guarantee is asymptotic (consistent Ĝ), not finite-sample.
/// </para>
/// </summary>
public static class ConformalSurvival
{
    public static ConformalCalibration Calibrate(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> risk, double level, double cutoff)
    {
        SurvivalInput.Check(time, @event, minSubjects: 1, requireEvent: false);
        SurvivalInput.CheckLength(time.Length, risk.Length, "risk");
        SurvivalInput.CheckFinite(risk, "risk");
        if (!(level > 0 && level < 1)) throw new ArgumentException($"The conformal level must lie in (0, 1), got {level}.");
        if (!(cutoff > 0) || !double.IsFinite(cutoff)) throw new ArgumentException($"The conformal threshold c0 must be a positive time, got {cutoff}.");
        var censoring = CensoringDistribution.Fit(time, @event);
        double gCutoff = censoring.SurvivalBefore(cutoff);
        if (!(gCutoff > 0)) throw new ArgumentException($"Everyone is censored before c0 = {cutoff}: the conformal weights are undefined.");
        var scores = new List<(double Score, double Weight)>();
        for (int i = 0; i < time.Length; i++)
        {
            double t = Math.Min(time[i], cutoff);
            if (!@event[i] && time[i] < cutoff) continue; // censored before c0: score unknown
            scores.Add((Math.Log(t) + risk[i], 1 / censoring.SurvivalBefore(t)));
        }
        double testWeight = 1 / gCutoff;
        double total = testWeight + scores.Sum(s => s.Weight), alpha = 1 - level;
        double? quantile = null;
        double below = 0; // weight of the scores strictly below the current one
        foreach (var group in scores.GroupBy(s => s.Score).OrderBy(g => g.Key))
        {
            if ((testWeight + below) / total > alpha + 1e-12) break;
            quantile = group.Key;
            below += group.Sum(s => s.Weight);
        }
        // A score of −∞ (time 0) as the quantile bounds nobody away from 0.
        if (quantile is double q && double.IsNegativeInfinity(q)) quantile = null;
        return new ConformalCalibration(level, cutoff, quantile, time.Length, scores.Count);
    }

    public static ConformalCoverage Coverage(ReadOnlySpan<double> time, ReadOnlySpan<bool> @event, ReadOnlySpan<double> lowerBound)
    {
        SurvivalInput.Check(time, @event, minSubjects: 1, requireEvent: false);
        SurvivalInput.CheckLength(time.Length, lowerBound.Length, "lowerBound");
        var censoring = CensoringDistribution.Fit(time, @event);
        int n = time.Length, covered = 0, missed = 0;
        double hitWeight = 0, knownWeight = 0;
        for (int i = 0; i < n; i++)
        {
            if (time[i] >= lowerBound[i])
            {
                covered++;
                double g = censoring.SurvivalBefore(lowerBound[i]);
                if (g > 0) { hitWeight += 1 / g; knownWeight += 1 / g; }
            }
            else if (@event[i])
            {
                missed++;
                double g = censoring.SurvivalBefore(time[i]);
                if (g > 0) knownWeight += 1 / g;
            }
        }
        return new ConformalCoverage(n, covered, missed, n - covered - missed, (double)covered / n, (double)(n - missed) / n,
            knownWeight > 0 ? hitWeight / knownWeight : null);
    }

    /// <summary>
    /// Seeded half split stratified by event: the events, then the censored (each in input order, shuffled with
    /// <see cref="Random"/>(seed)), go alternately to calibration and test, the alternation running on across the two
    /// strata — so each half gets half of each stratum (±1) and the halves differ by at most one patient, calibration
    /// taking the odd one.
    /// </summary>
    public static (int[] Calibration, int[] Test) Split(ReadOnlySpan<bool> @event, int seed)
    {
        var rng = new Random(seed);
        var calibration = new List<int>();
        var test = new List<int>();
        int k = 0;
        foreach (bool stratum in new[] { true, false })
        {
            var members = new List<int>();
            for (int i = 0; i < @event.Length; i++) if (@event[i] == stratum) members.Add(i);
            var shuffled = members.ToArray();
            rng.Shuffle(shuffled);
            foreach (int i in shuffled) (k++ % 2 == 0 ? calibration : test).Add(i);
        }
        calibration.Sort();
        test.Sort();
        return (calibration.ToArray(), test.ToArray());
    }
}
