using HistoPrognosis.Stain;
using Xunit.Abstractions;

namespace HistoPrognosis.Tests.Stain;

/// <summary>
/// Vahadane against the reference, in two parts. (1) The internal port of TIAToolbox's algorithm reproduces the
/// reference exactly, for both sklearn behaviours, which checks the shared pipeline and the dictionary-learning
/// maths. (2) The public, non-negative Vahadane is held to stated tolerances: its haematoxylin vector is close to
/// the reference's, but its output cannot match pixel for pixel because the reference's eosin rows are negative.
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
            // Stated: mean |Δ| ≤ 45 grey levels (measured 27.9–41.7); no non-negative matrix can reproduce the
            // reference's negative eosin absorption, so per-pixel ±1 agreement is not a meaningful target here.
            Assert.True(agreement.MeanAbs <= 45, agreement.ToString());
        }
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
