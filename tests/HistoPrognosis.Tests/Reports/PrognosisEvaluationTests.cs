using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.IO;
using HistoPrognosis.Reports;
using HistoPrognosis.Survival;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Tests.Reports;

public sealed class PrognosisEvaluationTests
{
    [Fact]
    public void AModelThatGivesEveryoneTheSameRiskIsScoredAsNotRankingNotRefused()
    {
        var dir = TestPaths.NewTempDirectory();
        string cohortPath = Path.Combine(dir, "cohort.csv"), risks = Path.Combine(dir, "risks.csv");
        var rows = Enumerable.Range(0, 12).Select(i => $"P{i},{10 + 7 * i},{(i % 3 == 0 ? 0 : 1)}");
        File.WriteAllLines(cohortPath, ["patient_id,time_months,event", .. rows]);
        File.WriteAllLines(risks, ["patient_id,risk", .. Enumerable.Range(0, 12).Select(i => $"P{i},0.25")]);
        var cohort = Cohort.Load(cohortPath, requireOutcome: true);
        var result = PrognosisEvaluation.Run(cohort, risks, Path.Combine(dir, "out"), new EvaluationConfig { BootstrapSamples = 20 });
        Assert.Equal(0.5, result.HarrellC.Value, 12); // every comparable pair tied in risk counts one half, as R's concordance does
        Assert.Contains(result.Warnings, w => w.Contains("all predicted risks are equal (0.25)"));
        Assert.Single(result.RiskGroups);
        Assert.True(File.Exists(Path.Combine(dir, "out", "km.svg")));
        TestPaths.TryDelete(dir);
    }

    [Fact]
    public void With_five_year_probabilities_results_json_has_calibration_decision_curve_and_conformal_coverage()
    {
        var dir = TestPaths.NewTempDirectory();
        string cohortPath = Path.Combine(dir, "cohort.csv"), risks = Path.Combine(dir, "risks.csv");
        var (d, _) = Tests.Survival.CalibrationFixture.Simulate(200, seed: 4, baseRate: 0.01, censorMax: 150);
        var inv = CultureInfo.InvariantCulture;
        File.WriteAllLines(cohortPath, ["patient_id,time_months,event", .. d.Time.Select((t, i) => string.Create(inv, $"P{i},{t:R},{(d.Event[i] ? 1 : 0)}"))]);
        File.WriteAllLines(risks, ["patient_id,risk,p_event_5y", .. d.Risk.Select((r, i) => string.Create(inv, $"P{i},{r:R},{d.Predicted[i]:R}"))]);
        var cohort = Cohort.Load(cohortPath, requireOutcome: true);
        var config = new EvaluationConfig { BootstrapSamples = 20, CalibrationGroups = 5, DecisionThresholds = [0.1, 0.3], ConformalLevel = 0.8 };
        var output = Path.Combine(dir, "out");
        var result = PrognosisEvaluation.Run(cohort, risks, output, config);

        Assert.Equal(5, result.Calibration!.Groups.Count);
        Assert.Equal(FiveYearCalibration.Slope(d.Time, d.Event, d.Predicted, 60), result.Calibration.Slope!.Value, 12);
        Assert.NotNull(result.Calibration.Ici!.Lower);
        Assert.Equal([0.1, 0.3], result.DecisionCurve!.Points.Select(p => p.Threshold));
        var conformal = result.Conformal!;
        Assert.Equal((0.8, 60.0, 100, 100), (conformal.NominalLevel, conformal.CutoffMonths, conformal.CalibrationPatients, conformal.TestPatients));
        Assert.InRange(conformal.TestCoverage.Ipcw!.Value, 0.65, 0.95);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "results.json")))!;
        Assert.NotNull(json["calibration"]!["slope"]!["value"]);
        Assert.NotNull(json["calibration"]!["groups"]![0]!["observed_lower"]);
        Assert.NotNull(json["decision_curve"]!["points"]![1]!["treat_all"]);
        Assert.NotNull(json["conformal"]!["test_coverage"]!["ipcw"]);
        var csv = CsvTable.Read(Path.Combine(output, "conformal.csv"));
        Assert.Equal(["patient_id", "lower_bound_months", "part"], csv.Headers);
        Assert.Equal(200, csv.Rows.Count);
        Assert.Equal(100, Enumerable.Range(0, 200).Count(r => csv.Text(r, 2) == "test"));
        var summary = File.ReadAllText(Path.Combine(output, "summary.md"));
        Assert.Contains("calibration slope", summary);
        Assert.Contains("Decision curve", summary);
        Assert.Contains("conformal lower bound coverage on 100 test patients", summary);
        TestPaths.TryDelete(dir);
    }

    [Fact]
    public void Survival_curves_in_the_risks_file_give_the_integrated_Brier_score()
    {
        var dir = TestPaths.NewTempDirectory();
        string cohortPath = Path.Combine(dir, "cohort.csv"), risks = Path.Combine(dir, "risks.csv");
        var (d, _) = Tests.Survival.CalibrationFixture.Simulate(120, seed: 9, baseRate: 0.01, censorMax: 150);
        var inv = CultureInfo.InvariantCulture;
        // Exponential curves S(t) = exp(−λt) with λ from each patient's five-year probability.
        double[] grid = HistoPrognosis.Mil.SurvivalHead.CurveGrid(60);
        double Survival(int i, double t) => Math.Pow(1 - d.Predicted[i], t / 60);
        File.WriteAllLines(cohortPath, ["patient_id,time_months,event", .. d.Time.Select((t, i) => string.Create(inv, $"P{i},{t:R},{(d.Event[i] ? 1 : 0)}"))]);
        File.WriteAllLines(risks, [string.Join(",", ["patient_id", "risk", "p_event_5y", .. grid.Select(HistoPrognosis.Studies.PrognosisPipeline.SurvivalColumn)]),
            .. d.Risk.Select((r, i) => string.Join(",", [string.Create(inv, $"P{i},{r:R},{d.Predicted[i]:R}"), .. grid.Select(t => Survival(i, t).ToString("R", inv))]))]);
        var cohort = Cohort.Load(cohortPath, requireOutcome: true);
        var result = PrognosisEvaluation.Run(cohort, risks, Path.Combine(dir, "out"), new EvaluationConfig { BootstrapSamples = 20 });
        double expected = BrierScore.Integrated(d.Time, d.Event, grid, u => Enumerable.Range(0, 120).Select(i => 1 - Survival(i, u)).ToArray());
        Assert.Equal(expected, result.IntegratedBrier!.Value, 12);
        Assert.NotNull(result.IntegratedBrier.Lower);
        Assert.Equal(grid, result.IntegratedBrierGrid);
        Assert.InRange(result.IntegratedBrier.Value, 0.01, result.Brier!.Value); // the early Brier scores are smaller
        Assert.Contains("integrated Brier score, 0–60", File.ReadAllText(Path.Combine(dir, "out", "summary.md")));

        // A curve that rises is refused, naming the row and column.
        var lines = File.ReadAllLines(risks);
        var cells = lines[1].Split(',');
        cells[4] = "0.1"; // s_6m below s_12m
        lines[1] = string.Join(",", cells);
        File.WriteAllLines(risks, lines);
        var error = Assert.Throws<UserInputException>(() => PrognosisEvaluation.Run(cohort, risks, Path.Combine(dir, "out2"), new EvaluationConfig { BootstrapSamples = 0 }));
        Assert.Contains("row 2", error.Message);
        Assert.Contains("rises", error.Message);
        TestPaths.TryDelete(dir);
    }

    [Fact]
    public void A_results_json_written_before_calibration_still_reads()
    {
        var old = new PrognosisEvaluationResult(10, 4, 60, 0, 1, Estimate.Point(0.7), null, null, null, [], null, null,
            new Dictionary<string, double>(), null, []);
        var node = JsonNode.Parse(JsonSerializer.Serialize(old, JsonDefaults.Options))!.AsObject();
        Assert.True(node.Remove("calibration") && node.Remove("decision_curve") && node.Remove("conformal"));
        var read = JsonSerializer.Deserialize<PrognosisEvaluationResult>(node.ToJsonString(), JsonDefaults.Options)!;
        Assert.Equal(0.7, read.HarrellC.Value);
        Assert.Null(read.Calibration);
        Assert.Null(read.Conformal);
    }

    [Fact]
    public void A_tiny_cohort_leaves_calibration_statistics_undefined_with_warnings_not_a_crash()
    {
        var dir = TestPaths.NewTempDirectory();
        string cohortPath = Path.Combine(dir, "cohort.csv"), risks = Path.Combine(dir, "risks.csv");
        // 6 patients, nobody with an event by 60 among those followed beyond it... the events are all after 60.
        File.WriteAllLines(cohortPath, ["patient_id,time_months,event", "A,70,1", "B,80,0", "C,90,1", "D,30,0", "E,100,1", "F,65,0"]);
        File.WriteAllLines(risks, ["patient_id,risk,p_event_5y", "A,1,0.4", "B,0.2,0.1", "C,0.8,0.3", "D,0.1,0.2", "E,0.5,0.25", "F,0.3,0.15"]);
        var cohort = Cohort.Load(cohortPath, requireOutcome: true);
        var result = PrognosisEvaluation.Run(cohort, risks, Path.Combine(dir, "out"), new EvaluationConfig { BootstrapSamples = 10 });
        Assert.Null(result.Calibration!.Slope);
        Assert.Null(result.Calibration.Ici);
        Assert.Single(result.Calibration.Groups);
        Assert.Contains(result.Warnings, w => w.StartsWith("calibration slope is undefined"));
        Assert.Contains(result.Warnings, w => w.StartsWith("ICI is undefined"));
        Assert.Contains(result.Warnings, w => w.Contains("1 group(s) instead of 10"));
        Assert.DoesNotContain("NaN", File.ReadAllText(Path.Combine(dir, "out", "results.json")));
        TestPaths.TryDelete(dir);
    }

    [Fact]
    public void The_evaluation_section_binds_and_validates_the_calibration_settings()
    {
        var config = ConfigBinder.Parse<RunConfig>("evaluation:\n  calibration_groups: 4\n  decision_thresholds: [0.1, 0.2]\n  conformal_level: 0.8\n  conformal_cutoff_months: 36\n", "test.yaml");
        Assert.Equal((4, 0.8, 36.0), (config.Evaluation.CalibrationGroups, config.Evaluation.ConformalLevel, config.Evaluation.ConformalCutoffMonths!.Value));
        Assert.Equal([0.1, 0.2], config.Evaluation.DecisionThresholds);
        Assert.Null(new EvaluationConfig().ConformalCutoffMonths);
        Assert.Equal(12, new EvaluationConfig().DecisionThresholds.Count);
        var bad = Assert.Throws<UserInputException>(() => new EvaluationConfig { DecisionThresholds = [0.3, 0.2] }.Validate());
        Assert.Contains("evaluation.decision_thresholds", bad.Message);
        Assert.Throws<UserInputException>(() => new EvaluationConfig { ConformalLevel = 1 }.Validate());
        Assert.Throws<UserInputException>(() => new EvaluationConfig { CalibrationGroups = 0 }.Validate());
        // The resolved run-config.yaml (and the evaluate stage's key) writes the new keys and reads them back.
        var roundTrip = ConfigBinder.Parse<RunConfig>(ConfigWriter.ToYaml(config), "run-config.yaml").Evaluation;
        Assert.Equal([0.1, 0.2], roundTrip.DecisionThresholds);
        Assert.Equal(36.0, roundTrip.ConformalCutoffMonths);
        var defaults = ConfigBinder.Parse<RunConfig>(ConfigWriter.ToYaml(new RunConfig()), "run-config.yaml").Evaluation;
        Assert.Null(defaults.ConformalCutoffMonths);
        Assert.Equal(DecisionCurve.DefaultThresholds, defaults.DecisionThresholds);
    }
}
