using System.Globalization;
using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.Survival;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Reports;

/// <summary>
/// The run-level model card: the main arm's card from training (its predictors, tuning), completed with what only
/// the run knows: the whole cohort, the tile scale of the tiling stage, the test split or folds, and the test metrics.
/// </summary>
public static class RunModelCard
{
    public static ModelCard Build(RunResult r, RunConfig config, string runDirectory)
    {
        var inv = CultureInfo.InvariantCulture;
        var main = r.Arms.FirstOrDefault();
        var trained = main is null ? null : ModelCardFile.TryRead(Path.Combine(runDirectory, main.Name, "model"));
        bool semiSynthetic = config.Input.SimulateFollowUp;
        double horizon = config.Model.HorizonMonths;
        var cohortPath = semiSynthetic ? Path.Combine(runDirectory, "cohort", "cohort.csv") : config.Input.Cohort!;
        var cohort = Cohort.Load(cohortPath, requireOutcome: true);
        var ids = RunPatients(runDirectory);
        if (ids is not null) cohort = cohort.Subset(ids);

        var size = config.Features.ImageSize;
        var basePredictors = trained?.Predictors ?? new ModelCardPredictors(config.Features.Backbone,
            "not recorded: cross-validation keeps no model folder (crossval/crossval.json has the feature settings)", "not recorded (as above)",
            size, r.Crossval?.FeatureDimension ?? 0, null, "", ModelCard.Stain(config.Stain), config.Model.Clinical);
        var predictors = config.Input.Slides is not null
            ? basePredictors with { TileMicronsPerPixel = config.Tiling.TargetMpp, TileScale = string.Create(inv, $"tiles of {config.Tiling.TileSize} px cut from the slides at {config.Tiling.TargetMpp:G} µm/px (tiling.target_mpp), resized to {size} px") }
            : basePredictors with { TileScale = $"patches as given by the patch table (not resampled); resized to {size} px" };

        var splits = new List<string>();
        if (r.Crossval is { } cv)
            splits.Add(string.Create(inv, $"{cv.Folds}-fold patient-level cross-validation (fold sizes {string.Join(", ", cv.FoldSizes)}; stratified by event{(cv.StratifiedBySite ? " and site" : "")}; seed {cv.Seed}): every patient is scored once by a model that never saw them."));
        else
            splits.Add(string.Create(inv, $"Holdout: {r.TestPatients} of {r.Patients} patients (evaluation.test_fraction {config.Evaluation.TestFraction:G}) held out, stratified by event, seed {r.Seed} (split/split.csv); no test patient was used for fine-tuning, training or choosing the epoch."));
        splits.AddRange(trained?.Splits ?? []);

        var limitations = ModelCard.BaseLimitations(cohort.Patients.Count, semiSynthetic).ToList();
        if (config.Finetune.Enabled) limitations.Add("The backbone was fine-tuned on the training patients: the weights hash is that of the fine-tuned network, not of a published checkpoint.");

        return new ModelCard
        {
            Title = r.Title,
            Model = trained?.Model ?? (r.Crossval is { } c ? $"{ModelCard.Describe(config.Model)}; cross-validated arms: {string.Join(", ", c.Arms.Select(a => a.Name))}" : ModelCard.Describe(config.Model)),
            Data = new ModelCardData(cohortPath, config.Input.Slides ?? config.Input.Patches ?? config.Input.Tiles ?? "", semiSynthetic,
                ModelCard.Eligibility + (config.Input.MaxPatients > 0 ? $" At most {config.Input.MaxPatients} patients were taken (input.max_patients)." : "")),
            Participants = ModelCardParticipants.Of(cohort.Time, cohort.Events, horizon),
            Outcome = ModelCard.OutcomeAt(horizon),
            Predictors = predictors,
            Splits = splits,
            Tuning = trained?.Tuning ?? (config.Model.ValidationFraction > 0
                ? string.Create(inv, $"Settings fixed by the config (no search); within each fold the epoch with the best Harrell C on a validation share ({config.Model.ValidationFraction:G}) of the training folds is kept.")
                : "Settings fixed by the config (no search); no validation share, so within each fold the epoch with the lowest training loss is kept."),
            Performance = Metrics(r),
            Limitations = limitations,
        };
    }

    private static List<ModelCardMetric> Metrics(RunResult r)
    {
        var list = new List<ModelCardMetric>();
        void Add(string arm, string name, Estimate? e, string on)
        {
            if (e is not null) list.Add(new ModelCardMetric(arm, name, e.Value, e.Lower, e.Upper, on));
        }
        foreach (var a in r.Arms)
        {
            var e = a.Evaluation;
            var on = $"{e.Patients} test patients ({e.Events} events)";
            string h = e.HorizonMonths.ToString("G", CultureInfo.InvariantCulture);
            Add(a.Name, "Harrell C", e.HarrellC, on);
            Add(a.Name, $"Uno C (τ = {h} months)", e.UnoC, on);
            Add(a.Name, $"time-dependent AUC at {h} months", e.TimeDependentAuc, on);
            if (e.HasEventProbabilities) Add(a.Name, $"Brier score at {h} months", e.Brier, on);
            Add(a.Name, $"integrated Brier score, 0–{h} months", e.IntegratedBrier, on);
            if (e.Calibration is { } c)
            {
                Add(a.Name, $"calibration intercept at {h} months", c.Intercept, on);
                Add(a.Name, $"calibration slope at {h} months", c.Slope, on);
                Add(a.Name, $"ICI at {h} months", c.Ici, on);
            }
        }
        if (r.Crossval is { } cv)
            foreach (var a in cv.Arms)
            {
                var on = $"{cv.Patients} patients, pooled out-of-fold";
                Add(a.Name, "Harrell C", a.PooledHarrell, on);
                Add(a.Name, "Uno C", a.PooledUno, on);
            }
        return list;
    }

    /// <summary>The run's modelled patients: the split's, or the cross-validation's out-of-fold risks; null when neither is there.</summary>
    private static List<string>? RunPatients(string runDirectory)
    {
        foreach (var path in new[] { Path.Combine(runDirectory, "split", "split.csv"), Path.Combine(runDirectory, "crossval", "oof-risks.csv") })
        {
            if (!File.Exists(path)) continue;
            var table = CsvTable.Read(path);
            int id = table.RequireColumn("patient_id");
            return Enumerable.Range(0, table.Rows.Count).Select(r => table.Text(r, id)).Distinct().ToList();
        }
        return null;
    }
}
