using HistoPrognosis.Survival;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public class SpecialFunctionsTests
{
    [Fact]
    public void Chi_square_upper_tail_matches_R_pchisq()
    {
        foreach (var r in Rows("more/pchisq.csv"))
            RelClose(r.Num("p"), ChiSquare.SurvivalFunction(r.Num("x"), r.Num("df")), 1e-12, $"x={r["x"]} df={r["df"]}");
    }

    [Fact]
    public void Normal_quantile_matches_R_qnorm()
    {
        foreach (var r in Rows("more/qnorm.csv"))
            RelClose(r.Num("q"), Normal.Quantile(r.Num("p")), 1e-14, $"p={r["p"]}");
    }

    [Fact]
    public void Normal_cdf_and_log_gamma_known_values()
    {
        Close(0.975, Normal.Cdf(1.959963984540054), 1e-15, "Phi");
        Close(0.05, Normal.TwoSidedP(1.959963984540054), 1e-15, "two-sided");
        Close(Math.Log(24), SpecialFunctions.LogGamma(5), 1e-14, "lgamma 5");
        Close(0.5 * Math.Log(Math.PI), SpecialFunctions.LogGamma(0.5), 1e-14, "lgamma 1/2");
        Close(1, SpecialFunctions.GammaP(3, 5) + SpecialFunctions.GammaQ(3, 5), 1e-15, "P + Q");
    }
}
