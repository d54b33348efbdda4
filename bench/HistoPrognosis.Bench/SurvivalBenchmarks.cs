using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Bench;

/// <summary>
/// Speed targets of issue 3: Harrell's C on 1,000,000 subjects with ties (≤ 2 s), Cox with 10 covariates on 100,000
/// subjects (≤ 5 s), 1,000 bootstrap C-indices on 1,000 subjects (≤ 2 s). Synthetic data: integer-day times and risks
/// rounded to 0.01, so both times and risks are heavily tied.
/// </summary>
[MemoryDiagnoser]
public class SurvivalBenchmarks
{
    private SurvivalData _large = null!, _small = null!;
    private CoxData _cox = null!;

    [GlobalSetup]
    public void Setup()
    {
        _large = SurvivalData.Simulate(1_000_000, seed: 1);
        _small = SurvivalData.Simulate(1_000, seed: 2);
        _cox = CoxData.Simulate(100_000, 10, seed: 3);
    }

    [Benchmark]
    public double HarrellC_1M() => Concordance.Harrell(_large.Time, _large.Event, _large.Risk).Value;

    [Benchmark]
    public double Cox_100k_x10() => CoxRegression.Fit(_cox.X, _cox.Time, _cox.Event, CoxTies.Efron).LogLikelihood;

    [Benchmark]
    public double Bootstrap_1000_HarrellC_n1000() => Bootstrap.HarrellC(_small.Time, _small.Event, _small.Risk, 1000, seed: 1).Lower;

    /// <summary>A quick Stopwatch run (best of 3 after a warm-up) for machines where BenchmarkDotNet takes too long.</summary>
    public static void RunQuick(TextWriter output)
    {
        var b = new SurvivalBenchmarks();
        b.Setup();
        output.WriteLine($"cores: {Environment.ProcessorCount}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
        Time(output, "Harrell C, 1,000,000 subjects (target <= 2 s)", () => b.HarrellC_1M());
        Time(output, "Cox Efron, 100,000 x 10 covariates (target <= 5 s)", () => b.Cox_100k_x10());
        Time(output, "1,000 bootstrap C-indices, 1,000 subjects (target <= 2 s)", () => b.Bootstrap_1000_HarrellC_n1000());
    }

    private static void Time(TextWriter output, string name, Func<double> run)
    {
        double value = run();   // warm-up (JIT)
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            value = run();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        output.WriteLine($"{name}: best of 3 = {best:F3} s (result {value:G6})");
    }
}

internal sealed record SurvivalData(double[] Time, bool[] Event, double[] Risk)
{
    public static SurvivalData Simulate(int n, int seed)
    {
        var rng = new Random(seed);
        var time = new double[n];
        var ev = new bool[n];
        var risk = new double[n];
        for (int i = 0; i < n; i++)
        {
            double eta = Normal(rng);
            double t = -Math.Log(1 - rng.NextDouble()) / Math.Exp(eta) * 1500;
            double c = rng.NextDouble() * 4000;
            time[i] = Math.Ceiling(Math.Min(t, c));
            ev[i] = t <= c;
            risk[i] = Math.Round(eta + 0.5 * Normal(rng), 2);
        }
        return new SurvivalData(time, ev, risk);
    }

    internal static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

internal sealed record CoxData(double[,] X, double[] Time, bool[] Event)
{
    public static CoxData Simulate(int n, int p, int seed)
    {
        var rng = new Random(seed);
        var x = new double[n, p];
        var time = new double[n];
        var ev = new bool[n];
        for (int i = 0; i < n; i++)
        {
            double eta = 0;
            for (int c = 0; c < p; c++)
            {
                x[i, c] = c % 3 == 0 ? (rng.NextDouble() < 0.4 ? 1 : 0) : SurvivalData.Normal(rng);
                eta += 0.1 * (c + 1) / p * x[i, c];
            }
            double t = -Math.Log(1 - rng.NextDouble()) / Math.Exp(eta) * 1500;
            double cens = rng.NextDouble() * 4000;
            time[i] = Math.Ceiling(Math.Min(t, cens));
            ev[i] = t <= cens;
        }
        return new CoxData(x, time, ev);
    }
}
