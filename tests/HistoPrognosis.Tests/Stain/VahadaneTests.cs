using HistoPrognosis.Stain;
using Xunit.Abstractions;

namespace HistoPrognosis.Tests.Stain;

/// <summary>
/// Vahadane against the reference, in two parts. (1) The internal port of TIAToolbox's algorithm reproduces the
/// reference exactly, for both sklearn behaviours, which checks the shared pipeline and the dictionary-learning
/// maths. (2) The public, non-negative Vahadane is held to stated tolerances: its haematoxylin vector is close to
/// the reference's, but its output cannot match pixel for pixel because the reference's eosin rows are negative.
/// (3) Its output stays H&amp;E: no cyan tissue, and close in colour to Macenko's (see <see cref="TissueColour"/>).
/// </summary>
public sealed class VahadaneTests(ITestOutputHelper output)
{
    public static TheoryData<string> Images() => new(StainReference.Sources.Append("target"));

    [Theory]
    [MemberData(nameof(Images))]
    public void TiaToolboxPortReproducesReferenceMatrices(string name)
    {
        var image = StainReference.Input(name);
        double d12 = StainReference.MaxDifference(new TiaToolboxVahadane().Extract(image), StainReference.Matrix("vahadane", name));
        double d13 = StainReference.MaxDifference(new TiaToolboxVahadane(sklearn13: true).Extract(image), StainReference.Matrix("vahadane_sklearn13emu", name));
        output.WriteLine($"{name}: sklearn 1.2 max |Δ| {d12:E2}, sklearn ≥ 1.3 max |Δ| {d13:E2}");
        Assert.True(d12 < 1e-9 && d13 < 1e-9, $"{d12} {d13}");
    }

    [Fact]
    public void TiaToolboxPortReproducesReferenceOutputs()
    {
        var port = new PortNormalizer();
        port.Fit(StainReference.Input("target"));
        foreach (var source in StainReference.Sources)
        {
            var agreement = StainReference.Compare(port.Transform(StainReference.Input(source)), StainReference.Output("vahadane", source));
            output.WriteLine($"{source}: {agreement}");
            Assert.True(agreement.Within1 >= 0.99, agreement.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void StainMatrixIsNonNegativeAndNearTheReferenceHaematoxylin(string name)
    {
        var matrix = new VahadaneExtractor().Extract(StainReference.Input(name));
        double toVahadaneH = Angle(matrix.Hematoxylin, StainReference.Matrix("vahadane", name).Hematoxylin);
        double toMacenkoH = Angle(matrix.Hematoxylin, StainReference.Matrix("macenko", name).Hematoxylin);
        double toMacenkoE = Angle(matrix.Eosin, StainReference.Matrix("macenko", name).Eosin);
        output.WriteLine($"{name}: {matrix}; H vs reference Vahadane H {toVahadaneH:F1}°, vs Macenko H {toMacenkoH:F1}°, E vs Macenko E {toMacenkoE:F1}°");
        Assert.True(matrix.IsNonNegative, matrix.ToString());
        // Stated tolerances (measured: 0.6–9.0° on the sources, 23° on the target whose reference E row is
        // (0.89, −0.41, −0.21); H within 1.9–5.0° and E within 4.0–11.5° of Macenko's).
        if (name != "target") Assert.True(toVahadaneH < 10, $"H {toVahadaneH:F1}° from the reference");
        Assert.True(toMacenkoH < 8 && toMacenkoE < 14, $"H {toMacenkoH:F1}°, E {toMacenkoE:F1}° from Macenko");
    }

    [Fact]
    public void OutputIsWithinStatedToleranceOfReference()
    {
        var normalizer = FittedNormalizers.Get("vahadane");
        foreach (var source in StainReference.Sources)
        {
            var agreement = StainReference.Compare(normalizer.Transform(StainReference.Input(source)), StainReference.Output("vahadane", source));
            output.WriteLine($"{source}: {agreement}");
            // Stated: mean |Δ| ≤ 38 grey levels (measured 23.5–34.0; 27.9–41.7 with least-squares concentrations);
            // no non-negative matrix can reproduce the reference's negative eosin absorption, so per-pixel ±1
            // agreement is not a meaningful target here.
            Assert.True(agreement.MeanAbs <= 38, agreement.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void OutputKeepsTissueOutOfTheCyanBand(string name)
    {
        var image = StainReference.Input(name);
        var tissue = TissueColour.Tissue(image);
        double vahadane = TissueColour.CyanFraction(FittedNormalizers.Get("vahadane").Transform(image), tissue);
        double macenko = TissueColour.CyanFraction(FittedNormalizers.Get("macenko").Transform(image), tissue);
        output.WriteLine($"{name}: cyan tissue pixels, vahadane {vahadane:P2}, macenko {macenko:P2}");
        // Measured: 0.00 % on every input (Macenko 0.00–0.10 %); least squares on the same matrices: 1.1–5.4 %.
        Assert.True(vahadane <= 0.005, $"{vahadane:P2} of the tissue is cyan");
        Assert.True(macenko <= 0.005, $"the band flags {macenko:P2} of Macenko's H&E"); // the band's control
    }

    [Fact]
    public void LeastSquaresConcentrationsOfTheSparseMatrixPaintTissueCyan()
    {
        // The failure the non-negative read fixes, kept as a check that the cyan metric sees it.
        var leastSquares = new SparseMatrixByLeastSquares();
        leastSquares.Fit(StainReference.Input("target"));
        foreach (var source in StainReference.Sources)
        {
            var image = StainReference.Input(source);
            double cyan = TissueColour.CyanFraction(leastSquares.Transform(image), TissueColour.Tissue(image));
            output.WriteLine($"{source}: {cyan:P2} cyan with least-squares concentrations");
            Assert.True(cyan > 0.005, $"{source}: {cyan:P2}");
        }
    }

    [Fact]
    public void OutputIsCloseToMacenkoInColour()
    {
        foreach (var source in StainReference.Sources)
        {
            var image = StainReference.Input(source);
            var distance = TissueColour.Distance(FittedNormalizers.Get("vahadane").Transform(image), FittedNormalizers.Get("macenko").Transform(image), TissueColour.Tissue(image));
            output.WriteLine($"{source}: vahadane vs macenko on tissue, {distance}");
            // Measured ΔE 12.9–16.1, |Δ| 14.8–23.6 (least squares: ΔE 14.4–20.5, |Δ| 17.1–30.8). For scale, on the
            // same pixels TIAToolbox's own Vahadane is ΔE 11.1–20.1 from its Macenko, Reinhard 24.8–28.6, and the
            // unnormalized input 31–53.
            Assert.True(distance.MeanDeltaE <= 18 && distance.MeanAbs <= 26, $"{source}: {distance}");
        }
    }

    [Fact]
    public void StainLassoIsTheNonNegativeLassoMinimiser()
    {
        var random = new Random(12);
        for (int trial = 0; trial < 2000; trial++)
        {
            double[] w = [.. Enumerable.Range(0, 6).Select(_ => random.NextDouble())];
            double r = 2 * random.NextDouble(), g = 2 * random.NextDouble(), b = 2 * random.NextDouble(), alpha = 0.2 * random.NextDouble();
            new StainLasso(w, alpha).Solve(r, g, b, out double c0, out double c1);
            var (e0, e1) = Lasso2.Solve(
                w[0] * w[0] + w[1] * w[1] + w[2] * w[2], w[0] * w[3] + w[1] * w[4] + w[2] * w[5], w[3] * w[3] + w[4] * w[4] + w[5] * w[5],
                w[0] * r + w[1] * g + w[2] * b, w[3] * r + w[4] * g + w[5] * b, alpha, positive: true);
            Assert.True(c0 >= 0 && c1 >= 0);
            Assert.Equal(e0, c0, 1e-9);
            Assert.Equal(e1, c1, 1e-9);
        }
    }

    private sealed class SparseMatrixByLeastSquares() : StainMatrixNormalizer(new VahadaneExtractor())
    {
        public override string Method => "vahadane-least-squares";
        protected override IReadOnlyDictionary<string, double> Parameters => new Dictionary<string, double>();
    }

    private sealed class PortNormalizer() : StainMatrixNormalizer(new TiaToolboxVahadane())
    {
        public override string Method => "vahadane-tiatoolbox";
        protected override IReadOnlyDictionary<string, double> Parameters => new Dictionary<string, double>();
    }

    private static double Angle(double[] a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < 3; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return Math.Acos(Math.Clamp(dot / Math.Sqrt(na * nb), -1, 1)) * 180 / Math.PI;
    }
}
