using HistoPrognosis.Survival;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public class ConcordanceTests
{
    public static TheoryData<string> Cases => new() { "tiny_no_ties", "tiny_with_ties", "gbsg_coxlp", "gbsg_nodes", "rotterdam_os_nodes" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Harrell_matches_R_value_and_pair_counts(string name)
    {
        var expected = Rows("cindex_expected.csv").Single(r => r["case"] == name);
        var t = Table($"cindex_{name}.csv");
        var result = Concordance.Harrell(t.Numbers("time"), t.Events("event"), t.Numbers("risk"));

        Close(expected.Num("cindex"), result.Value, 1e-8, name);
        Assert.Equal((long)expected.Num("concordant"), result.Concordant);
        Assert.Equal((long)expected.Num("discordant"), result.Discordant);
        Assert.Equal((long)expected.Num("tied_risk"), result.TiedRisk);
        Assert.Equal((long)expected.Num("tied_time"), result.TiedTime);
        Assert.Equal((long)expected.Num("tied_both"), result.TiedBoth);
    }

    [Fact]
    public void Toy_with_event_censoring_ties_and_a_timefix_near_tie_matches_R()
    {
        var t = Table("more/toy.csv");
        var expected = Rows("more/toy_expected.csv").ToDictionary(r => r["what"], r => r.Num("value"));
        var result = Concordance.Harrell(t.Numbers("time"), t.Events("event"), t.Numbers("risk"));

        Close(expected["harrell"], result.Value, 1e-12, "harrell");
        Assert.Equal((long)expected["concordant"], result.Concordant);
        Assert.Equal((long)expected["discordant"], result.Discordant);
        Assert.Equal((long)expected["tied_x"], result.TiedRisk);
        Assert.Equal((long)expected["tied_y"], result.TiedTime);
        Assert.Equal((long)expected["tied_xy"], result.TiedBoth);
        Close(expected["uno_ymax5"], Concordance.Uno(t.Numbers("time"), t.Events("event"), t.Numbers("risk"), 5), 1e-12, "uno");
    }

    [Theory]
    [InlineData("gbsg")]
    [InlineData("rotterdam")]
    public void Harrell_and_Uno_match_R_for_nodes_and_the_cox_predictor(string cohort)
    {
        var c = Load(cohort);
        double[] lp = CoxRegression.Fit(c.X, c.Time, c.Event, names: c.Names).LinearPredictor.ToArray();
        foreach (var row in Rows("more/concordance.csv").Where(r => r["cohort"] == cohort))
        {
            double[] marker = row["marker"] == "nodes" ? c.Nodes : lp;
            double actual = row["timewt"] == "n"
                ? Concordance.Harrell(c.Time, c.Event, marker).Value
                : Concordance.Uno(c.Time, c.Event, marker, row.Num("ymax"));
            Close(row.Num("concordance"), actual, 1e-8, $"{cohort} {row["marker"]} {row["timewt"]} {row["ymax"]}");
        }
    }

    [Theory]
    [InlineData("gbsg")]
    [InlineData("rotterdam")]
    public void Uno_matches_the_shared_r_extra_reference(string cohort)
    {
        var expected = Rows($"r-extra/{cohort}/concordance.csv").Single();
        var c = Load(cohort);
        Close(expected.Num("harrell"), Concordance.Harrell(c.Time, c.Event, c.Nodes).Value, 1e-8, "harrell");
        Close(expected.Num("uno_trunc"), Concordance.Uno(c.Time, c.Event, c.Nodes, expected.Num("horizon")), 1e-8, "uno");
    }

    [Fact]
    public void Harrell_agrees_with_brute_force_pair_counting_on_random_tied_data()
    {
        var rng = new Random(7);
        for (int rep = 0; rep < 30; rep++)
        {
            int n = rng.Next(2, 60);
            var time = Enumerable.Range(0, n).Select(_ => (double)rng.Next(1, 12)).ToArray();
            var ev = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.6).ToArray();
            var risk = Enumerable.Range(0, n).Select(_ => (double)rng.Next(0, 6)).ToArray();
            if (!ev.Any(e => e)) ev[0] = true;
            var (conc, disc, tx, ty, txy) = BruteForce(time, ev, risk);
            if (conc + disc + tx == 0) continue;
            var r = Concordance.Harrell(time, ev, risk);
            Assert.Equal((conc, disc, tx, ty, txy), (r.Concordant, r.Discordant, r.TiedRisk, r.TiedTime, r.TiedBoth));
        }
    }

    // The definition, pair by pair: i had the event and j was still followed after tᵢ (or censored at tᵢ).
    private static (long, long, long, long, long) BruteForce(double[] t, bool[] e, double[] r)
    {
        long conc = 0, disc = 0, tx = 0, ty = 0, txy = 0;
        for (int i = 0; i < t.Length; i++)
        {
            if (!e[i]) continue;
            for (int j = 0; j < t.Length; j++)
            {
                if (i == j) continue;
                if (t[j] > t[i] || (t[j] == t[i] && !e[j]))
                {
                    if (r[i] > r[j]) conc++; else if (r[i] < r[j]) disc++; else tx++;
                }
                else if (t[j] == t[i] && e[j] && j > i)
                {
                    if (r[i] == r[j]) txy++; else ty++;
                }
            }
        }
        return (conc, disc, tx, ty, txy);
    }

    [Fact]
    public void Bad_input_is_refused()
    {
        double[] time = [1, 2, 3];
        Assert.Throws<ArgumentException>(() => Concordance.Harrell(time, [false, false, false], [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => Concordance.Harrell([1, double.NaN, 3], [true, true, false], [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => Concordance.Harrell([1, -2, 3], [true, true, false], [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => Concordance.Harrell(time, [true, true, false], [1, double.NaN, 3]));
        Assert.Throws<ArgumentException>(() => Concordance.Harrell(time, [true, true], [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => Concordance.Harrell([1], [true], [1]));
        Assert.Throws<ArgumentException>(() => Concordance.Uno(time, [true, true, false], [1, 2, 3], 0));
    }
}
