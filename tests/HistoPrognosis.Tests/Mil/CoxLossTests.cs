using System.Globalization;
using HistoPrognosis.Data;
using HistoPrognosis.Mil;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Mil;

/// <summary>The training loss equals R's Cox log partial likelihood (survival::coxph, GBSG) divided by the event count.</summary>
[Collection(TorchCollection.Name)]
public sealed class CoxLossTests
{
    private static readonly string[] Covariates = ["age", "meno", "size", "grade", "nodes", "pgr", "er", "hormon"];

    [Fact]
    public void NullModelLossEqualsRNullLogLikelihoodWithEfronTies()
    {
        var (x, time, @event) = Gbsg();
        var (_, _, loglikNull) = RFit("cox_efron.csv");
        using var scope = NewDisposeScope();
        var risk = zeros(time.Length, dtype: ScalarType.Float64);
        double loss = CoxLoss.Efron(risk, time, @event).item<double>();
        Assert.Equal(-loglikNull / @event.Count(e => e), loss, 1e-9);
    }

    [Fact]
    public void LossAtRCoefficientsEqualsRFittedLogLikelihood()
    {
        var (x, time, @event) = Gbsg();
        var (coef, loglik, _) = RFit("cox_efron.csv");
        var lp = x.Select(row => row.Zip(coef, (a, b) => a * b).Sum()).ToArray();
        using var scope = NewDisposeScope();
        double loss = CoxLoss.Efron(tensor(lp, dtype: ScalarType.Float64), time, @event).item<double>();
        // R prints coefficients to 8 significant digits; at the optimum the gradient is zero, so the
        // log-likelihood is insensitive to that rounding.
        Assert.Equal(-loglik / @event.Count(e => e), loss, 1e-6);
    }

    [Fact]
    public void BatchWithoutEventsGivesZeroLossAndZeroGradient()
    {
        using var scope = NewDisposeScope();
        var risk = tensor(new[] { 0.3, -1.2, 2.0 }, dtype: ScalarType.Float64).requires_grad_();
        var loss = CoxLoss.Efron(risk, [5, 3, 8], [false, false, false]);
        loss.backward();
        Assert.Equal(0, loss.item<double>());
        Assert.All(risk.grad!.data<double>().ToArray(), g => Assert.Equal(0, g));
    }

    [Fact]
    public void TiedEventTimesFollowEfron()
    {
        // Hand computation: times 1,1,2 all events, risks a, b, c; Efron at t=1 with d=2:
        // ll = a + b - log(ea+eb+ec) - log(ea+eb+ec - (ea+eb)/2) + c - log(ec).
        double a = 0.5, b = -0.25, c = 1.0;
        double ea = Math.Exp(a), eb = Math.Exp(b), ec = Math.Exp(c);
        double ll = a + b - Math.Log(ea + eb + ec) - Math.Log(ea + eb + ec - (ea + eb) / 2) + c - Math.Log(ec);
        using var scope = NewDisposeScope();
        double loss = CoxLoss.Efron(tensor(new[] { a, b, c }, dtype: ScalarType.Float64), [1, 1, 2], [true, true, true]).item<double>();
        Assert.Equal(-ll / 3, loss, 1e-12);
    }

    private static (double[][] X, double[] Time, bool[] Event) Gbsg()
    {
        var table = CsvTable.Read(TestPaths.Fixture("mil", "gbsg.csv"));
        var columns = Covariates.Select(table.RequireColumn).ToArray();
        int timeColumn = table.RequireColumn("rfstime"), statusColumn = table.RequireColumn("status");
        var x = Enumerable.Range(0, table.Rows.Count).Select(r => columns.Select(c => table.Number(r, c)).ToArray()).ToArray();
        var time = Enumerable.Range(0, table.Rows.Count).Select(r => table.Number(r, timeColumn)).ToArray();
        var @event = Enumerable.Range(0, table.Rows.Count).Select(r => table.Number(r, statusColumn) == 1).ToArray();
        return (x, time, @event);
    }

    private static (double[] Coef, double LogLik, double LogLikNull) RFit(string file)
    {
        var table = CsvTable.Read(TestPaths.Fixture("mil", file));
        int term = table.RequireColumn("term"), coef = table.RequireColumn("coef");
        var byTerm = Enumerable.Range(0, table.Rows.Count).ToDictionary(r => table.Text(r, term), r => table.Number(r, coef));
        return (Covariates.Select(c => byTerm[c]).ToArray(), table.Number(0, table.RequireColumn("loglik")), table.Number(0, table.RequireColumn("loglik_null")));
    }
}
