using HistoPrognosis.Data;
using HistoPrognosis.Reports;

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
}
