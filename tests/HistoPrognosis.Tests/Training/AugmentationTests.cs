using HistoPrognosis.Data;
using HistoPrognosis.Imaging;
using HistoPrognosis.Models;
using HistoPrognosis.Training;
using HistoPrognosis.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Training;

[Collection(TorchCollection.Name)]
public sealed class AugmentationTests
{
    [Fact]
    public void SpecsParseIntoGeometryAndPixelSteps()
    {
        var plan = AugmentationPlan.Parse("flips, hed:0.1,color:0.2");
        Assert.True(plan.Dihedral);
        var steps = Assert.IsType<Compose>(plan.Pixels).Steps;
        Assert.IsType<HedJitter>(steps[0]);
        Assert.IsType<ColorJitter>(steps[1]);
        Assert.Same(AugmentationPlan.None, AugmentationPlan.Parse("none"));
        var stainOnly = AugmentationPlan.Parse("stain");
        Assert.False(stainOnly.Dihedral);
        Assert.IsType<RandomStainPerturbation>(Assert.Single(Assert.IsType<Compose>(stainOnly.Pixels).Steps));
        foreach (var (bad, named) in new[] { ("flips:2", "flips"), ("hed:0", "hed:0"), ("color:x", "color:x"), ("blur", "blur"), ("hed,hed", "hed"), ("none,flips", "none") })
            Assert.Contains(named, Assert.Throws<UserInputException>(() => AugmentationPlan.Parse(bad)).Message);
    }

    private sealed class SwapRedBlue : ITransform
    {
        public RgbImage Apply(RgbImage image, Random rng)
        {
            var px = (byte[])image.Pixels.Clone();
            for (int i = 0; i < px.Length; i += 3) (px[i], px[i + 2]) = (px[i + 2], px[i]);
            return new RgbImage(image.Width, image.Height, px);
        }
    }

    [Fact]
    public void PixelStepsSeeEachSampleAsAnImageAndKeepTheTensorLayout()
    {
        using var scope = NewDisposeScope();
        var batch = randint(0, 256, [3, 3, 5, 7]).to_type(ScalarType.Byte);
        var swapped = BatchAugmentation.Pixels(batch, new SwapRedBlue(), new Random(1));
        Assert.True(swapped.equal(batch.index_select(1, tensor(new long[] { 2, 1, 0 }))).all().item<bool>());
    }

    [Fact]
    public void ColourAugmentedTrainingIsSeededAndDiffersFromGeometryAlone()
    {
        var table = PatchTable.Load(TestPaths.DemoLabels, requireLabel: true);
        using var data = PatchDataset.Load(table.Subset(table.PatientIds.Take(3).ToList()).Patches, 32, PipelineLog.Silent);
        double[] Losses(string augment)
        {
            var config = new FinetuneConfig { ImageSize = 32, BatchSize = 6, HeadOnlySteps = 0, FullSteps = 4, Augment = augment };
            using var model = new PatchClassifier(PretrainedWeights.CreateScratch(seed: 2));
            return new PatchClassifierTrainer(config, CPU, PipelineLog.Silent).Train(model, data, FinetunePolicy.Scratch, 9, new TrainingOptions(), "t")
                .Losses.Select(l => l.Loss).ToArray();
        }
        var colour = Losses("flips,hed:0.2,color:0.3");
        Assert.Equal(colour, Losses("flips,hed:0.2,color:0.3"));
        Assert.NotEqual(colour, Losses("flips"));
    }

    [Fact]
    public void PrefetcherHandsOverBatchesInOrderAndSurfacesFailures()
    {
        int made = 0;
        PreparedBatch Make()
        {
            using var value = (++made).ToScalar(); // held: an implicit Scalar's finalizer may free it during the call
            return new PreparedBatch(full(1, 1, value), [made]);
        }
        using (var prefetcher = new BatchPrefetcher(Make, 3))
        {
            Assert.Equal([1f, 2f, 3f], Enumerable.Range(0, 3).Select(_ => { using var b = prefetcher.Next(); return b.Labels[0]; }));
            Assert.Throws<InvalidOperationException>(() => prefetcher.Next());
        }
        using var failing = new BatchPrefetcher(() => throw new InvalidDataException("bad patch"), 2);
        Assert.Equal("bad patch", Assert.Throws<InvalidDataException>(() => failing.Next()).Message);
    }
}
