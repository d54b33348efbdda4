using HistoPrognosis.Imaging;
using HistoPrognosis.Stain;

namespace HistoPrognosis.Tests.Stain;

public sealed class StainFitTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDirectory("stainfit");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("reinhard")]
    [InlineData("macenko")]
    [InlineData("vahadane")]
    [InlineData("ruifrok")]
    public void SavedFitReproducesTheFittedNormalizer(string method)
    {
        var fitted = FittedNormalizers.Get(method);
        var path = Path.Combine(dir, method + ".json");
        fitted.ExportFit().Save(path);
        var reloaded = StainNormalizers.Load(path);
        Assert.Equal(method, reloaded.Method);
        var source = StainReference.Input("crc_tum");
        Assert.Equal(fitted.Transform(source).Pixels, reloaded.Transform(source).Pixels);
    }

    [Fact]
    public void MacenkoFitExposesStainMatrixAndConcentrations()
    {
        var fit = FittedNormalizers.Get("macenko").ExportFit();
        var expected = StainReference.Matrix("macenko", "target");
        Assert.Equal(expected.Hematoxylin[0], fit.StainMatrix![0][0], 1e-12);
        Assert.Equal(expected.Eosin[1], fit.StainMatrix[1][1], 1e-12);
        var c = ColorDeconvolution.Concentrations(StainReference.Input("target"), expected);
        Assert.Equal(512 * 512, c.Hematoxylin.Length);
        Assert.Equal(StainReference.MaxConcentrations("macenko", "target")[0], Percentile.Linear(c.Hematoxylin.ToArray(), 99), 1e-9);
    }

    [Fact]
    public void FitFromAnotherMethodIsRefused()
    {
        var path = Path.Combine(dir, "reinhard.json");
        FittedNormalizers.Get("reinhard").ExportFit().Save(path);
        var ex = Assert.Throws<UserInputException>(() => StainNormalizers.Load(path, "macenko"));
        Assert.Contains(path, ex.Message);
        Assert.Contains("reinhard", ex.Message);
    }

    [Fact]
    public void FitFromAnotherVersionOrGarbageIsRefused()
    {
        var path = Path.Combine(dir, "fit.json");
        var json = File.ReadAllText(SaveMacenko()).Replace("\"version\": 1", "\"version\": 99");
        File.WriteAllText(path, json);
        Assert.Contains("version 99", Assert.Throws<UserInputException>(() => StainNormalizers.Load(path)).Message);
        File.WriteAllText(path, "{ not json");
        Assert.Contains(path, Assert.Throws<UserInputException>(() => StainNormalizers.Load(path)).Message);
        File.WriteAllText(path, File.ReadAllText(SaveMacenko()).Replace("\"angularPercentile\": 99", "\"angularPercentile\": 95"));
        Assert.Contains("angularPercentile", Assert.Throws<UserInputException>(() => StainNormalizers.Load(path)).Message);
    }

    [Fact]
    public void VahadaneFitWithLeastSquaresConcentrationsIsRefused()
    {
        // Fits saved before concentrations were non-negative lack the parameter; their maxima were least-squares ones.
        var path = Path.Combine(dir, "vahadane-old.json");
        var fit = FittedNormalizers.Get("vahadane").ExportFit();
        fit.Parameters.Remove("concentrationRegularizer");
        fit.Save(path);
        Assert.Contains("concentrationRegularizer", Assert.Throws<UserInputException>(() => StainNormalizers.Load(path)).Message);
    }

    [Theory]
    [InlineData("reinhard")]
    [InlineData("macenko")]
    [InlineData("vahadane")]
    [InlineData("ruifrok")]
    public void BlankTargetIsRefused(string method)
    {
        var white = new RgbImage(64, 64, Enumerable.Repeat((byte)250, 64 * 64 * 3).ToArray());
        var ex = Assert.Throws<UserInputException>(() => StainNormalizers.Create(method).Fit(white));
        Assert.Contains("no tissue", ex.Message);
    }

    private string SaveMacenko()
    {
        var path = Path.Combine(dir, "macenko-src.json");
        FittedNormalizers.Get("macenko").ExportFit().Save(path);
        return path;
    }

    [Theory]
    [InlineData("reinhard")]
    [InlineData("macenko")]
    [InlineData("ruifrok")]
    public void TransformIsTheTransformWithTheImagesOwnSourceEstimate(string method)
    {
        var normalizer = StainNormalizers.Create(method);
        normalizer.Fit(StainReference.Input("target"));
        var image = StainReference.Input("crc_tum");
        var own = normalizer.Transform(image, normalizer.EstimateSource(image)).Pixels;
        Assert.Equal(normalizer.Transform(image).Pixels, own);
        Assert.Equal(StainReference.Output(method, "crc_tum").Pixels, own);
        // Another image's estimate maps it differently; a source of the wrong kind is refused.
        Assert.NotEqual(own, normalizer.Transform(image, normalizer.EstimateSource(StainReference.Input("breakhis_benign"))).Pixels);
        StainSource wrong = method == "reinhard" ? new StainMatrixSource(StainMatrix.Ruifrok, [1, 1]) : new LabStatisticsSource([50, 0, 0], [10, 5, 5]);
        Assert.Throws<ArgumentException>(() => normalizer.Transform(image, wrong));
    }
}
