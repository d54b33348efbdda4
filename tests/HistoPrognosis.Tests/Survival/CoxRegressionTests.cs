using HistoPrognosis.Survival;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public class CoxRegressionTests
{
    [Theory]
    [InlineData("gbsg", CoxTies.Efron)]
    [InlineData("gbsg", CoxTies.Breslow)]
    [InlineData("rotterdam", CoxTies.Efron)]
    [InlineData("rotterdam", CoxTies.Breslow)]
    public void Coefficients_errors_and_loglik_match_R_coxph(string cohort, CoxTies ties)
    {
        var c = Load(cohort);
        var fit = CoxRegression.Fit(c.X, c.Time, c.Event, ties, c.Names);
        string tiesName = ties.ToString().ToLowerInvariant();
        var rows = Rows("more/cox.csv").Where(r => r["cohort"] == cohort && r["ties"] == tiesName).ToList();
        Assert.Equal(rows.Select(r => r["term"]), fit.Terms);
        for (int j = 0; j < rows.Count; j++)
        {
            RelClose(rows[j].Num("coef"), fit.Coefficients[j], 1e-5, $"coef {rows[j]["term"]}");
            RelClose(rows[j].Num("se"), fit.StandardErrors[j], 1e-5, $"se {rows[j]["term"]}");
            Assert.Equal(rows[j].Num("mean"), fit.Means[j], 12);
        }
        RelClose(rows[0].Num("loglik"), fit.LogLikelihood, 1e-6, "loglik");
        RelClose(rows[0].Num("loglik_null"), fit.LogLikelihoodNull, 1e-6, "loglik null");

        // The shared r-extra files (8 printed decimals) agree too.
        foreach (var row in Rows($"r-extra/{cohort}/cox_{tiesName}.csv"))
        {
            int j = fit.Terms.ToList().IndexOf(row["term"]);
            Close(row.Num("coef"), fit.Coefficients[j], 1e-8, $"coef {row["term"]}");
            Close(row.Num("se"), fit.StandardErrors[j], 1e-8, $"se {row["term"]}");
            Close(row.Num("loglik"), fit.LogLikelihood, 1e-6, "loglik");
        }
    }

    [Theory]
    [InlineData("gbsg")]
    [InlineData("rotterdam")]
    public void Linear_predictor_and_risk_at_horizon_match_R_predict_and_basehaz(string cohort)
    {
        var c = Load(cohort);
        var fit = CoxRegression.Fit(c.X, c.Time, c.Event, CoxTies.Efron, c.Names);
        var s = Table($"r-extra/{cohort}/scores.csv");
        double[] lp = s.Numbers("lp"), risk = s.Numbers("risk_at_horizon");
        var row = new double[c.Names.Length];
        for (int i = 0; i < lp.Length; i++)
        {
            Close(lp[i], fit.LinearPredictor[i], 1e-8, $"lp {i}");
            for (int j = 0; j < row.Length; j++) row[j] = c.X[i, j];
            Close(risk[i], fit.PredictRisk(row, 1825), 1e-8, $"risk {i}");
        }
    }

    [Theory]
    [InlineData("gbsg")]
    [InlineData("rotterdam")]
    public void Baseline_hazards_match_R_basehaz_for_both_tie_methods(string cohort)
    {
        var c = Load(cohort);
        foreach (CoxTies ties in new[] { CoxTies.Efron, CoxTies.Breslow })
        {
            var fit = CoxRegression.Fit(c.X, c.Time, c.Event, ties, c.Names);
            foreach (var r in Rows("more/basehaz.csv").Where(r => r["cohort"] == cohort && r["ties"] == ties.ToString().ToLowerInvariant()))
                RelClose(r.Num("hazard"), fit.BaselineHazard.At(r.Num("time")), 1e-6, $"{ties} H0({r["time"]})");
        }
    }

    [Fact]
    public void Jagged_and_rectangular_inputs_give_the_same_fit()
    {
        var c = Load("gbsg");
        var jagged = Enumerable.Range(0, c.Time.Length).Select(i => Enumerable.Range(0, c.Names.Length).Select(j => c.X[i, j]).ToArray()).ToArray();
        var a = CoxRegression.Fit(jagged, c.Time, c.Event, CoxTies.Efron, c.Names);
        var b = CoxRegression.Fit(c.X, c.Time, c.Event, CoxTies.Efron, c.Names);
        Assert.Equal(b.Coefficients, a.Coefficients);
        var (lo, hi) = b.HazardRatioConfidenceInterval(4);
        Assert.True(lo < b.HazardRatio(4) && b.HazardRatio(4) < hi);
        Assert.True(b.LikelihoodRatioTest.P < 1e-10);
    }

    [Fact]
    public void Collinear_covariate_is_named()
    {
        var c = Load("gbsg");
        int n = c.Time.Length;
        var x = new double[n, 3];
        for (int i = 0; i < n; i++) { x[i, 0] = c.X[i, 0]; x[i, 1] = c.X[i, 4]; x[i, 2] = 2 * c.X[i, 0] - c.X[i, 4]; }
        var ex = Assert.Throws<CoxFitException>(() => CoxRegression.Fit(x, c.Time, c.Event, CoxTies.Efron, ["age", "nodes", "combo"]));
        Assert.Equal("combo", ex.Covariate);
        Assert.Contains("collinear", ex.Message);
    }

    [Fact]
    public void Constant_covariate_is_named()
    {
        var ex = Assert.Throws<CoxFitException>(() =>
            CoxRegression.Fit(new double[,] { { 1, 5 }, { 2, 5 }, { 3, 5 } }, [1, 2, 3], [true, true, false], CoxTies.Efron, ["a", "b"]));
        Assert.Equal("b", ex.Covariate);
    }

    [Fact]
    public void Perfect_separation_is_reported_with_the_covariate()
    {
        // Every subject with x = 1 fails before every subject with x = 0: the MLE of β is +∞.
        double[] time = [1, 2, 3, 4, 5, 6, 7, 8];
        bool[] ev = [true, true, true, true, true, true, true, false];
        var x = new double[8, 2];
        var rng = new Random(3);
        for (int i = 0; i < 8; i++) { x[i, 0] = rng.NextDouble(); x[i, 1] = i < 4 ? 1 : 0; }
        var ex = Assert.Throws<CoxFitException>(() => CoxRegression.Fit(x, time, ev, CoxTies.Efron, ["noise", "arm"]));
        Assert.Equal("arm", ex.Covariate);
    }
}
