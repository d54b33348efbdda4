using HistoPrognosis.Mil;
using HistoPrognosis.Studies;

namespace HistoPrognosis.Tests.Studies;

public sealed class PatchProbeReferenceTests
{
    [Fact]
    public void MeanProbabilitiesMatchAnIndependentNewtonFit()
    {
        // Three-feature patches whose label depends on the first two (with noise): the probe's L2 logistic fit must
        // be the unique optimum, which Newton's method in doubles finds independently.
        var rng = new Random(11);
        var (train, labels) = Bags(rng, 12);
        var (test, _) = Bags(rng, 5);
        var risks = PatchProbeReference.Risks(train, labels, test);

        var x = train.SelectMany(b => b.Instances).Select(r => r.Select(v => (double)v).ToArray()).ToArray();
        var y = labels.SelectMany(l => l).ToArray();
        int n = x.Length, d = x[0].Length;
        var mean = Enumerable.Range(0, d).Select(j => x.Average(r => r[j])).ToArray();
        // Unbiased standard deviation, as torch.std.
        var sd = Enumerable.Range(0, d).Select(j => Math.Sqrt(x.Sum(r => (r[j] - mean[j]) * (r[j] - mean[j])) / (n - 1))).ToArray();
        var z = x.Select(r => r.Select((v, j) => (v - mean[j]) / sd[j]).Append(1.0).ToArray()).ToArray();
        var beta = new double[d + 1];
        for (int iteration = 0; iteration < 50; iteration++)
        {
            // Objective: mean log-loss + L2 · |w|² (the intercept unpenalised).
            var gradient = new double[d + 1];
            var hessian = new double[d + 1, d + 1];
            foreach (var (row, label) in z.Zip(y))
            {
                double p = 1 / (1 + Math.Exp(-row.Zip(beta).Sum(t => t.First * t.Second)));
                for (int a = 0; a <= d; a++)
                {
                    gradient[a] += (p - label) * row[a] / n;
                    for (int b = 0; b <= d; b++) hessian[a, b] += p * (1 - p) * row[a] * row[b] / n;
                }
            }
            for (int a = 0; a < d; a++) { gradient[a] += 2 * PatchProbeReference.L2 * beta[a]; hessian[a, a] += 2 * PatchProbeReference.L2; }
            var step = Solve(hessian, gradient);
            for (int a = 0; a <= d; a++) beta[a] -= step[a];
        }
        var expected = test.Select(b => b.Instances.Average(r =>
            1 / (1 + Math.Exp(-(r.Select((v, j) => (v - mean[j]) / sd[j] * beta[j]).Sum() + beta[d]))))).ToArray();
        for (int i = 0; i < test.Count; i++) Assert.Equal(expected[i], risks[i], 4);
        // And the probe ranks the test patients as their true burden does (a strong, clean signal).
        Assert.True(expected.Distinct().Count() == expected.Length);
    }

    private static (List<PatientBag> Bags, List<double[]> Labels) Bags(Random rng, int patients)
    {
        var bags = new List<PatientBag>();
        var labels = new List<double[]>();
        for (int p = 0; p < patients; p++)
        {
            int count = 20 + rng.Next(20);
            double burden = rng.NextDouble();
            var rows = new float[count][];
            var y = new double[count];
            for (int i = 0; i < count; i++)
            {
                y[i] = rng.NextDouble() < burden ? 1 : 0;
                rows[i] = [(float)(y[i] + 0.8 * Normal(rng)), (float)(0.5 * y[i] + Normal(rng) + 3), (float)(2 * Normal(rng) - 1)];
            }
            bags.Add(new PatientBag($"p{p}", rows));
            labels.Add(y);
        }
        return (bags, labels);
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double[] Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var v = (double[])b.Clone();
        for (int c = 0; c < n; c++)
        {
            int pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(m[r, c]));
            for (int k = 0; k < n; k++) (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
            (v[c], v[pivot]) = (v[pivot], v[c]);
            for (int r = c + 1; r < n; r++)
            {
                double f = m[r, c] / m[c, c];
                for (int k = c; k < n; k++) m[r, k] -= f * m[c, k];
                v[r] -= f * v[c];
            }
        }
        var x = new double[n];
        for (int r = n - 1; r >= 0; r--) x[r] = (v[r] - Enumerable.Range(r + 1, n - r - 1).Sum(k => m[r, k] * x[k])) / m[r, r];
        return x;
    }
}
