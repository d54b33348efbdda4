using System.Globalization;
using System.Text;
using System.Text.Json;
using HistoPrognosis.Data;
using HistoPrognosis.IO;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Reports;

/// <summary>Kaplan–Meier summary of one predicted risk group; no survival at the horizon when the group's follow-up ends before it.</summary>
public sealed record RiskGroupSummary(string Name, int Patients, int Events, double? SurvivalAtHorizon);

/// <summary>
/// What <c>histoprog evaluate</c> writes to <c>results.json</c>. A statistic that cannot be computed on these patients
/// is null and <see cref="Warnings"/> says why (never NaN); <see cref="Brier"/> is also null when the risks file has no
/// <c>p_event_5y</c> (<see cref="HasEventProbabilities"/>), and so are <see cref="Calibration"/> and
/// <see cref="DecisionCurve"/>; <see cref="Conformal"/> needs only the risk. The last three are optional so results.json
/// files written before them still read.
/// </summary>
public sealed record PrognosisEvaluationResult(
    int Patients, int Events, double HorizonMonths, int BootstrapSamples, int Seed,
    Estimate HarrellC, Estimate? UnoC, Estimate? TimeDependentAuc, Estimate? Brier,
    IReadOnlyList<RiskGroupSummary> RiskGroups, double? LogRankChiSquare, double? LogRankP,
    IReadOnlyDictionary<string, double> ReferenceC, double? FractionOfOracle, IReadOnlyList<string> Warnings, bool HasEventProbabilities = true,
    FiveYearCalibrationResult? Calibration = null, DecisionCurveResult? DecisionCurve = null, ConformalResult? Conformal = null,
    Estimate? IntegratedBrier = null, IReadOnlyList<double>? IntegratedBrierGrid = null);

/// <summary>Net benefit of the model, treat-all and treat-none at each risk threshold, at the horizon.</summary>
public sealed record DecisionCurveResult(double HorizonMonths, IReadOnlyList<NetBenefitPoint> Points);

/// <summary>
/// Scores predicted risks against a cohort's follow-up with the statistics library: Harrell C, Uno C truncated at
/// the horizon, IPCW time-dependent AUC and Brier score at the horizon, bootstrap intervals, Kaplan–Meier curves of
/// the patients below / above the median predicted risk with a log-rank test, and — when the cohort is simulated —
/// the oracle (η), burden-only and age-only references. The cohort must meet the <c>evaluation</c> section's
/// minimums (<see cref="EvaluationConfig.Minimum"/>); what is still undefined on it becomes a warning.
/// </summary>
public static class PrognosisEvaluation
{
    /// <summary>Scores the risks file against the cohort; writes results.json, km.svg and summary.md into <paramref name="outputDirectory"/> (the caller commits it).</summary>
    public static PrognosisEvaluationResult Run(Cohort cohort, string risksPath, string outputDirectory, EvaluationConfig evaluation, int seed = 1, double horizon = 60)
    {
        var cohortPath = cohort.SourcePath;
        evaluation.Validate();
        int bootstrapSamples = evaluation.BootstrapSamples;
        var time = cohort.Time;
        var @event = cohort.Events;
        int n = time.Length;
        evaluation.Minimum().Check($"{cohortPath}: evaluation", time, @event);
        var (risk, probability) = ReadRisks(risksPath, cohort);
        if (!(time.Max() > horizon)) throw new UserInputException($"{cohortPath}: nobody is followed beyond {horizon} months; the horizon metrics are undefined");
        // A model that gives everyone the same risk does not rank patients: scored as such (C = 0.5), never an error,
        // so a study reports its arm that learned nothing instead of stopping.
        bool constant = risk.Distinct().Count() < 2;

        Estimate? Metric(IndexStatistic statistic) => Bootstrap.Estimate(n, statistic, bootstrapSamples, seed, evaluation.MinDefinedShare);
        IndexStatistic On(double[] score, Func<double[], bool[], double[], double> f) => idx =>
        {
            var (t, e, s) = Bootstrap.Gather(idx, time, @event, score);
            return f(t, e, s);
        };
        // Defined: the minimum above guarantees a comparable pair.
        var harrell = Metric(On(risk, (t, e, s) => Concordance.Harrell(t, e, s).Value))!;
        var uno = Metric(On(risk, (t, e, s) => Concordance.Uno(t, e, s, horizon)));
        var auc = Metric(On(risk, (t, e, s) => TimeDependentAuc.At(t, e, s, horizon)));
        var brier = probability is null ? null : Metric(On(probability, (t, e, s) => BrierScore.At(t, e, s, horizon)));
        // Integrated Brier score over [0, horizon] from the predicted survival curves, when the risks file has them.
        var curves = ReadSurvivalCurves(risksPath, cohort, horizon);
        var ibs = curves is null ? null : Metric(span =>
        {
            var idx = span.ToArray();
            var (t, e, _) = Bootstrap.Gather(idx, time, @event, risk);
            return BrierScore.Integrated(t, e, curves.Value.Months, u =>
            {
                int k = Array.IndexOf(curves.Value.Months, u);
                return idx.Select(i => 1 - curves.Value.Survival[i][k]).ToArray();
            });
        });

        var plot = KaplanMeierPlot.ByMedianRisk("Kaplan–Meier by predicted risk", time, @event, risk, "months");
        var group = Survival.RiskGroups.AboveMedian(risk); // the plot's split
        var warnings = new List<string>();
        if (constant) warnings.Add($"all predicted risks are equal ({risk[0].ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}): the model does not rank patients (C = 0.5) and there are no low/high risk groups");
        var groups = new List<RiskGroupSummary>();
        foreach (var (g, name) in new[] { (0, "low risk"), (1, "high risk") })
        {
            var idx = Enumerable.Range(0, n).Where(i => group[i] == g).ToArray();
            if (idx.Length == 0)
            {
                warnings.Add($"no {name} group: the predicted risks are tied at the median");
                continue;
            }
            var curve = KaplanMeier.Fit(idx.Select(i => time[i]).ToArray(), idx.Select(i => @event[i]).ToArray());
            double? survival = horizon <= curve.LastTime ? curve.SurvivalAt(horizon) : null;
            if (survival is null) warnings.Add($"{name} group: Kaplan–Meier survival at {horizon} months is undefined (its follow-up ends at {curve.LastTime} months)");
            groups.Add(new RiskGroupSummary(name, idx.Length, idx.Count(i => @event[i]), survival));
        }

        var references = ReferenceC(cohort);
        double? fraction = references.TryGetValue("oracle", out var oracle) ? harrell.Value / oracle : null;
        var context = new StatisticContext(n, bootstrapSamples, evaluation.MinDefinedShare);
        warnings.InsertRange(0, context.Warnings("Harrell C", harrell, "")
            .Concat(context.Warnings("Uno C", uno, $"no comparable pair with an event by {horizon} months"))
            .Concat(context.Warnings("time-dependent AUC", auc, $"no event by {horizon} months, or nobody event-free beyond it"))
            .Concat(probability is null ? [] : context.Warnings("Brier score", brier, $"nobody at risk at {horizon} months"))
            .Concat(curves is null ? [] : context.Warnings("integrated Brier score", ibs, $"nobody at risk at {horizon} months")));
        if (plot.Undefined is { } why) warnings.Add($"log-rank test of low vs high predicted risk is undefined: {why}");

        FiveYearCalibrationResult? calibration = null;
        DecisionCurveResult? decision = null;
        if (probability is not null)
        {
            calibration = FiveYearCalibrationResult.Assess(time, @event, probability, horizon, evaluation.CalibrationGroups, bootstrapSamples, seed, evaluation.MinDefinedShare);
            warnings.AddRange(CalibrationWarnings(calibration, context, evaluation.CalibrationGroups, horizon));
            decision = new DecisionCurveResult(horizon, DecisionCurve.Compute(time, @event, probability, horizon, evaluation.DecisionThresholds));
            foreach (var point in decision.Points.Where(x => x.Model is null))
                warnings.Add(string.Create(CultureInfo.InvariantCulture, $"decision curve at threshold {point.Threshold}: the model's net benefit is undefined (the {point.HighRisk} patients at or above it are not followed to {horizon} months)"));
        }
        ConformalEvaluation? conformal = null;
        double cutoff = evaluation.ConformalCutoffMonths ?? horizon;
        try { conformal = ConformalSplitEvaluation.Run(time, @event, risk, evaluation.ConformalLevel, cutoff, seed); }
        catch (ArgumentException e) { warnings.Add($"conformal lower bounds are undefined: {e.Message}"); }
        if (conformal is { Result: var cr })
        {
            if (cr.Quantile is null)
                warnings.Add($"conformal lower bounds are all 0: {cr.CalibrationPatients} calibration patients ({cr.CalibrationKnownScores} with a known score) are too few for the level {evaluation.ConformalLevel.ToString(CultureInfo.InvariantCulture)}");
            if (cr.TestCoverage.Ipcw is null) warnings.Add("conformal coverage: no IPCW estimate (no test patient has a known status)");
        }

        var result = new PrognosisEvaluationResult(n, @event.Count(e => e), horizon, bootstrapSamples, seed, harrell, uno, auc, brier,
            groups, plot.LogRankChiSquare, plot.LogRankP, references, fraction, warnings, probability is not null,
            calibration, decision, conformal?.Result, ibs, curves?.Months);
        Directory.CreateDirectory(outputDirectory);
        if (conformal is not null)
            CsvFile.Write(Path.Combine(outputDirectory, "conformal.csv"), ["patient_id", "lower_bound_months", "part"],
                cohort.Patients.Select((p, i) => (IReadOnlyList<object?>)[p.PatientId, conformal.LowerBounds[i], conformal.Parts[i] == ConformalPart.Test ? "test" : "calibration"]));
        File.WriteAllText(Path.Combine(outputDirectory, "results.json"), JsonSerializer.Serialize(result, JsonDefaults.Options));
        File.WriteAllText(Path.Combine(outputDirectory, "km.svg"), plot.Svg);
        File.WriteAllText(Path.Combine(outputDirectory, "summary.md"), Summary(result, cohortPath, risksPath));
        return result;
    }

    /// <summary>
    /// Harrell C of the simulated cohort's own columns when present: the true linear predictor η (oracle), tumour
    /// burden alone, and age alone.
    /// </summary>
    public static Dictionary<string, double> ReferenceC(Cohort cohort)
    {
        var references = new Dictionary<string, double>();
        foreach (var (column, name) in new[] { ("eta", "oracle"), ("tumour_burden", "burden_only"), ("age", "clinical_only_age") })
            if (cohort.OptionalNumbers(column) is { } values) references[name] = Concordance.Harrell(cohort.Time, cohort.Events, values).Value;
        return references;
    }

    /// <summary>Risk (and, when present, p_event_5y) of every cohort patient, in cohort order.</summary>
    public static (double[] Risk, double[]? Probability) ReadRisks(string path, Cohort cohort)
    {
        var table = CsvTable.Read(path);
        int id = table.RequireColumn("patient_id"), riskColumn = table.RequireColumn("risk");
        int? probabilityColumn = table.OptionalColumn("p_event_5y");
        var rows = new Dictionary<string, (double Risk, double? P)>(StringComparer.Ordinal);
        for (int r = 0; r < table.Rows.Count; r++)
        {
            var patient = table.Text(r, id);
            if (!rows.TryAdd(patient, (table.Number(r, riskColumn), probabilityColumn is int pc ? table.Number(r, pc) : null)))
                throw new UserInputException($"{path}, row {table.Rows[r].Line}: duplicate patient_id '{patient}'");
        }
        var missing = cohort.Patients.Where(p => !rows.ContainsKey(p.PatientId)).Select(p => p.PatientId).ToList();
        if (missing.Count > 0) throw new UserInputException($"{path}: no risk for {missing.Count} cohort patient(s): {string.Join(", ", missing.Take(10))}");
        var risk = cohort.Patients.Select(p => rows[p.PatientId].Risk).ToArray();
        var probability = probabilityColumn is null ? null : cohort.Patients.Select(p => rows[p.PatientId].P!.Value).ToArray();
        if (probability?.FirstOrDefault(p => p is < 0 or > 1, double.NaN) is double bad && !double.IsNaN(bad))
            throw new UserInputException($"{path}, column 'p_event_5y': {bad} is not a probability");
        return (risk, probability);
    }

    /// <summary>
    /// The predicted survival curves of a risks file (columns <c>s_6m, s_12m, …</c> up to the horizon, as
    /// <see cref="Studies.PrognosisPipeline.WriteRisks"/> writes them), in cohort order; null when it has none.
    /// </summary>
    public static (double[] Months, double[][] Survival)? ReadSurvivalCurves(string path, Cohort cohort, double horizon)
    {
        var table = CsvTable.Read(path);
        var columns = new List<(double Months, int Column)>();
        for (int c = 0; c < table.Headers.Count; c++)
        {
            var name = table.Headers[c];
            if (name.Length > 3 && name.StartsWith("s_", StringComparison.Ordinal) && name.EndsWith('m')
                && double.TryParse(name[2..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var months))
                columns.Add((months, c));
        }
        if (columns.Count == 0) return null;
        columns.Sort((a, b) => a.Months.CompareTo(b.Months));
        if (columns[^1].Months != horizon || columns[0].Months <= 0 || columns.Select(c => c.Months).Distinct().Count() != columns.Count)
            throw new UserInputException($"{path}: survival columns {string.Join(", ", columns.Select(c => table.Headers[c.Column]))} must be distinct positive times ending at the horizon, s_{horizon.ToString(CultureInfo.InvariantCulture)}m");
        int id = table.RequireColumn("patient_id");
        var rows = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (int r = 0; r < table.Rows.Count; r++)
        {
            var curve = columns.Select(c => table.Number(r, c.Column)).ToArray();
            for (int k = 0; k < curve.Length; k++)
            {
                if (curve[k] is < 0 or > 1 || double.IsNaN(curve[k]))
                    throw new UserInputException($"{path}, row {table.Rows[r].Line}, column '{table.Headers[columns[k].Column]}': {curve[k]} is not a probability");
                if (k > 0 && curve[k] > curve[k - 1] + 1e-12)
                    throw new UserInputException($"{path}, row {table.Rows[r].Line}: the survival curve rises from {curve[k - 1]} to {curve[k]} at column '{table.Headers[columns[k].Column]}'");
            }
            rows[table.Text(r, id)] = curve;
        }
        return (columns.Select(c => c.Months).ToArray(), cohort.Patients.Select(p => rows[p.PatientId]).ToArray());
    }

    private static IEnumerable<string> CalibrationWarnings(FiveYearCalibrationResult c, StatisticContext context, int requestedGroups, double horizon)
    {
        if (c.Groups.Count < requestedGroups)
            yield return $"calibration curve: {c.Groups.Count} group(s) instead of {requestedGroups}: at least {CalibrationCurve.MinPatientsPerGroup} patients per group";
        foreach (var g in c.Groups.Where(g => g.Observed is null))
            yield return $"calibration group {g.Group}: observed risk at {horizon} months is undefined (its follow-up ends before it)";
        foreach (var w in context.Warnings("calibration intercept", c.Intercept, $"no event by {horizon} months, or nobody known event-free beyond it")
            .Concat(context.Warnings("calibration slope", c.Slope, "no event by the horizon, nobody known event-free beyond it, equal predictions or separation"))
            .Concat(context.Warnings("ICI", c.Ici, "the spline Cox model cannot be fitted: fewer than 10 patients, too few distinct predictions, or nobody followed to the horizon")))
            yield return w;
        if (c.ObservedExpected is null) yield return "calibration O/E is undefined (nobody followed to the horizon, or a mean predicted risk of 0)";
    }

    private static string Summary(PrognosisEvaluationResult r, string cohortPath, string risksPath)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("# Prognosis evaluation").AppendLine();
        text.AppendLine(inv, $"Cohort `{cohortPath}`, risks `{risksPath}`: {r.Patients} patients, {r.Events} events; horizon {r.HorizonMonths} months; 95% percentile bootstrap ({r.BootstrapSamples} resamples, seed {r.Seed}).").AppendLine();
        text.AppendLine("| metric | value (95% CI) |").AppendLine("|---|---|");
        text.AppendLine($"| Harrell C | {r.HarrellC.Format()} |");
        text.AppendLine(inv, $"| Uno C (τ = {r.HorizonMonths}) | {Estimate.Format(r.UnoC)} |");
        text.AppendLine(inv, $"| time-dependent AUC at {r.HorizonMonths} | {Estimate.Format(r.TimeDependentAuc)} |");
        text.AppendLine(inv, $"| Brier score at {r.HorizonMonths} | {(r.HasEventProbabilities ? Estimate.Format(r.Brier) : "— (no p_event_5y)")} |");
        text.AppendLine(inv, $"| integrated Brier score, 0–{r.HorizonMonths} | {(r.IntegratedBrierGrid is null ? "— (no survival curve: the five-year head predicts the horizon only)" : Estimate.Format(r.IntegratedBrier))} |");
        text.AppendLine(r.LogRankP is double p ? string.Format(inv, "| log-rank low vs high risk | χ² {0:F2}, p {1:G3} |", r.LogRankChiSquare, p) : "| log-rank low vs high risk | undefined (see warnings) |");
        if (r.Calibration is { } calibration)
        {
            text.AppendLine(inv, $"| calibration intercept at {r.HorizonMonths} (IPCW, slope fixed at 1) | {Estimate.Format(calibration.Intercept)} |");
            text.AppendLine(inv, $"| calibration slope at {r.HorizonMonths} (IPCW logistic on logit p) | {Estimate.Format(calibration.Slope)} |");
            text.AppendLine(inv, $"| observed / expected (KM risk / mean p) | {(calibration.ObservedExpected is double oe ? oe.ToString("F3", inv) : "undefined")} |");
            text.AppendLine(inv, $"| ICI (Austin et al. 2020) | {Estimate.Format(calibration.Ici)} |");
            text.AppendLine(inv, $"| E50 / E90 / Emax | {(calibration.E50 is double e50 ? string.Format(inv, "{0:F3} / {1:F3} / {2:F3}", e50, calibration.E90, calibration.Emax) : "undefined")} |");
        }
        if (r.Conformal is { } cf)
            text.AppendLine(inv, $"| conformal lower bound coverage on {cf.TestPatients} test patients (nominal {cf.NominalLevel}, c0 = {cf.CutoffMonths} months) | {cf.TestCoverage.Lower:F3}–{cf.TestCoverage.Upper:F3}, IPCW {(cf.TestCoverage.Ipcw is double ipcw ? ipcw.ToString("F3", inv) : "undefined")}; median bound {cf.MedianTestLowerBoundMonths:F1} months |");
        text.AppendLine();
        foreach (var w in r.Warnings) text.AppendLine($"- warning: {w}");
        if (r.Warnings.Count > 0) text.AppendLine();
        foreach (var g in r.RiskGroups)
            text.AppendLine(inv, $"- {g.Name}: {g.Patients} patients, {g.Events} events, KM survival at {r.HorizonMonths} months {(g.SurvivalAtHorizon is double sv ? sv.ToString("F3", inv) : "undefined")}");
        if (r.Calibration is { } cal)
        {
            text.AppendLine().AppendLine(inv, $"Calibration at {r.HorizonMonths} months (observed: Kaplan–Meier risk, 95% CI Greenwood on the log(−log) scale):").AppendLine();
            text.AppendLine("| group | patients | events | mean predicted | observed (95% CI) |").AppendLine("|---|---|---|---|---|");
            foreach (var g in cal.Groups)
                text.AppendLine(inv, $"| {g.Group} | {g.Patients} | {g.Events} | {g.MeanPredicted:F3} | {(g.Observed is double o ? o.ToString("F3", inv) + (g.ObservedLower is double lo ? string.Format(inv, " ({0:F3}–{1:F3})", lo, g.ObservedUpper) : "") : "undefined")} |");
        }
        if (r.DecisionCurve is { } dc)
        {
            text.AppendLine().AppendLine(inv, $"Decision curve at {r.HorizonMonths} months (net benefit):").AppendLine();
            text.AppendLine("| threshold | model | treat all | treat none |").AppendLine("|---|---|---|---|");
            foreach (var pt in dc.Points)
                text.AppendLine(inv, $"| {pt.Threshold:F2} | {(pt.Model is double m ? m.ToString("F4", inv) : "undefined")} | {(pt.TreatAll is double a ? a.ToString("F4", inv) : "undefined")} | 0 |");
        }
        if (r.ReferenceC.Count > 0)
        {
            text.AppendLine().AppendLine("References (Harrell C on the same patients):").AppendLine();
            foreach (var (name, c) in r.ReferenceC) text.AppendLine(inv, $"- {name}: {c:F3}");
            if (r.FractionOfOracle is double f) text.AppendLine(inv, $"- model / oracle: {f:P1}");
        }
        text.AppendLine().AppendLine("![Kaplan–Meier by predicted risk](km.svg)");
        return text.ToString();
    }
}
