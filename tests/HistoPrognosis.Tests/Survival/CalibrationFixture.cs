using System.Text.Json;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Tests.Survival;

/// <summary>The fixed cohort and expected values of Fixtures/calibration (see PROVENANCE.txt there), and seeded simulations.</summary>
internal static class CalibrationFixture
{
    public sealed record Data(double[] Time, bool[] Event, double[] Predicted, double[] Risk);

    private static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "calibration", name);

    public static Data Cohort()
    {
        var t = SurvivalTable.Read(PathOf("cohort.csv"));
        return new Data(t.Numbers("time"), t.Events("event"), t.Numbers("p"), t.Numbers("risk"));
    }

    public static JsonElement Expected() => JsonDocument.Parse(File.ReadAllText(PathOf("expected.json"))).RootElement;

    public static double Num(this JsonElement e, string name) => e.GetProperty(name).GetDouble();

    /// <summary>
    /// Exponential survival with hazard baseRate·exp(x), x ~ N(0, 1), censoring ~ Uniform(0, censorMax); returns the
    /// data (risk = x) and each patient's hazard, so a test knows the true distribution.
    /// </summary>
    public static (Data Data, double[] Hazard) Simulate(int n, int seed, double baseRate, double censorMax)
    {
        var rng = new Random(seed);
        var time = new double[n];
        var ev = new bool[n];
        var x = new double[n];
        var hazard = new double[n];
        for (int i = 0; i < n; i++)
        {
            // Box–Muller
            x[i] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            hazard[i] = baseRate * Math.Exp(x[i]);
            double t = -Math.Log(1 - rng.NextDouble()) / hazard[i], c = rng.NextDouble() * censorMax;
            time[i] = Math.Min(t, c);
            ev[i] = t <= c;
        }
        var p = hazard.Select(h => 1 - Math.Exp(-60 * h)).ToArray(); // the true risk by 60
        return (new Data(time, ev, p, x), hazard);
    }
}
