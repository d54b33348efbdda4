using HistoPrognosis.Survival;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public class LogRankTests
{
    [Theory]
    [InlineData("gbsg")]
    [InlineData("rotterdam")]
    public void By_grade_matches_the_shared_reference(string cohort)
    {
        var c = Load(cohort);
        var expected = Rows($"r-extra/{cohort}/logrank.csv").Single();
        int gradeColumn = Array.IndexOf(c.Names, "grade");
        int[] grade = Enumerable.Range(0, c.Time.Length).Select(i => (int)c.X[i, gradeColumn]).ToArray();
        var result = LogRank.Test(c.Time, c.Event, grade);
        RelClose(expected.Num("chisq"), result.ChiSquare, 1e-6, "chisq");
        Assert.Equal((int)expected.Num("df"), result.DegreesOfFreedom);
        RelClose(expected.Num("p"), result.P, 1e-6, "p");
    }

    [Theory]
    [InlineData("gbsg_grade")]
    [InlineData("gbsg_hormon")]
    [InlineData("rotterdam_size")]
    [InlineData("rotterdam_nodes4")]
    public void Two_to_four_groups_match_R_at_full_precision(string name)
    {
        var expected = Rows("more/logrank.csv").Single(r => r["case"] == name);
        string cohort = name.Split('_')[0];
        var t = Table($"{cohort}.csv");
        double[] time = t.Numbers(cohort == "gbsg" ? "rfstime" : "dtime");
        bool[] ev = t.Events(cohort == "gbsg" ? "status" : "death");
        int[] group = name switch
        {
            "gbsg_grade" => t.Numbers("grade").Select(v => (int)v).ToArray(),
            "gbsg_hormon" => t.Numbers("hormon").Select(v => (int)v).ToArray(),
            "rotterdam_size" => t.Strings("size").Select(s => s switch { "<=20" => 0, "20-50" => 1, _ => 2 }).ToArray(),
            _ => t.Numbers("nodes").Select(v => (int)Math.Min(v, 3)).ToArray(),
        };
        var result = LogRank.Test(time, ev, group);
        RelClose(expected.Num("chisq"), result.ChiSquare, 1e-9, "chisq");
        Assert.Equal((int)expected.Num("df"), result.DegreesOfFreedom);
        RelClose(expected.Num("p"), result.P, 1e-8, "p");
    }

    [Fact]
    public void A_single_group_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => LogRank.Test([1, 2, 3], [true, false, true], [4, 4, 4]));
        Assert.Contains("2 groups", ex.Message);
    }
}
