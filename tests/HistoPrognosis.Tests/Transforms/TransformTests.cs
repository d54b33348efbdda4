using HistoPrognosis.Imaging;
using HistoPrognosis.Stain;
using HistoPrognosis.Tests.Stain;
using HistoPrognosis.Transforms;

namespace HistoPrognosis.Tests.Transforms;

public sealed class TransformTests
{
    private static readonly RgbImage Tile = Crop(StainReference.Input("crc_tum"), 0, 0, 64, 48);

    private static ITransform Augmentation() => new Compose(
        new RandomFlip(), new RandomRotate90(), new HedJitter(), new ColorJitter(0.2, 0.2, 0.2), new RandomStainPerturbation(), new Resize(32, 32));

    [Fact]
    public void SameSeedAndSampleGiveTheSameResult()
    {
        var a = Augmentation().Apply(Tile, seed: 42, sampleIndex: 7);
        var b = Augmentation().Apply(Tile, seed: 42, sampleIndex: 7);
        Assert.Equal(a.Pixels, b.Pixels);
        Assert.Equal((32, 32), (a.Width, a.Height));
        var other = Augmentation().Apply(Tile, seed: 42, sampleIndex: 8);
        Assert.NotEqual(a.Pixels, other.Pixels);
        Assert.NotEqual(a.Pixels, Augmentation().Apply(Tile, seed: 42, sampleIndex: 7, epoch: 1).Pixels);
    }

    [Fact]
    public void SampleStreamsDoNotDependOnOrder()
    {
        int first = SampleRandom.For(1, 100).Next();
        _ = SampleRandom.For(1, 5).Next();
        Assert.Equal(first, SampleRandom.For(1, 100).Next());
        Assert.NotEqual(SampleRandom.For(1, 100).Next(), SampleRandom.For(2, 100).Next());
    }

    [Fact]
    public void FlipsAndRotationsMovePixelsWhereExpected()
    {
        // 3×2 image, pixel value = index, so positions can be read back.
        var image = new RgbImage(3, 2, Enumerable.Range(0, 6).SelectMany(i => new[] { (byte)i, (byte)i, (byte)i }).ToArray());
        var h = RandomFlip.Flip(image, horizontal: true, vertical: false);
        Assert.Equal(new byte[] { 2, 1, 0, 5, 4, 3 }, Reds(h));
        var v = RandomFlip.Flip(image, horizontal: false, vertical: true);
        Assert.Equal(new byte[] { 3, 4, 5, 0, 1, 2 }, Reds(v));
        var r90 = RandomRotate90.Rotate(image, 1); // counter-clockwise: 2×3, first row is the old last column
        Assert.Equal((2, 3), (r90.Width, r90.Height));
        Assert.Equal(new byte[] { 2, 5, 1, 4, 0, 3 }, Reds(r90));
        Assert.Equal(image.Pixels, RandomRotate90.Rotate(RandomRotate90.Rotate(r90, 2), 1).Pixels);
        Assert.Equal(new byte[] { 5, 4, 3, 2, 1, 0 }, Reds(RandomRotate90.Rotate(image, 2)));
    }

    [Fact]
    public void ZeroStrengthColourTransformsAreIdentity()
    {
        var rng = new Random(1);
        Assert.Equal(Tile.Pixels, new ColorJitter(0, 0, 0).Apply(Tile, rng).Pixels);
        AssertClose(Tile, new HedJitter(0, 0).Apply(Tile, rng), 1);
        AssertClose(Tile, new RandomStainPerturbation(0, 0).Apply(Tile, rng), 1);
        AssertClose(Tile, new RandomStainPerturbation(0, 0, new MacenkoExtractor()).Apply(Tile, rng), 1);
    }

    [Fact]
    public void ColourTransformsChangeColourButNotGeometry()
    {
        foreach (var t in new ITransform[] { new HedJitter(0.2, 0.2), new ColorJitter(0.5, 0.5, 0.5), new RandomStainPerturbation(0.2, 0.3) })
        {
            var result = t.Apply(Tile, new Random(3));
            Assert.Equal((Tile.Width, Tile.Height), (result.Width, result.Height));
            double diff = Tile.Pixels.Zip(result.Pixels, (a, b) => Math.Abs(a - b)).Average();
            Assert.InRange(diff, 0.5, 80);
        }
    }

    [Fact]
    public void ResizeKeepsConstantsAndInterpolates()
    {
        var constant = new RgbImage(5, 7, Enumerable.Repeat((byte)90, 5 * 7 * 3).ToArray());
        Assert.All(Resize.To(constant, 13, 3).Pixels, p => Assert.Equal(90, p));
        // 2×1 (0 and 200) upscaled to 4×1 with pixel-centre alignment: 0, 50, 150, 200.
        var ramp = new RgbImage(2, 1, [0, 0, 0, 200, 200, 200]);
        Assert.Equal(new byte[] { 0, 50, 150, 200 }, Reds(Resize.To(ramp, 4, 1)));
    }

    [Fact]
    public void StainNormalizeStepPassesBlankTilesThrough()
    {
        var step = new StainNormalize(FittedNormalizers.Get("macenko"));
        var blank = new RgbImage(16, 16, Enumerable.Repeat((byte)245, 16 * 16 * 3).ToArray());
        Assert.Equal(blank.Pixels, step.Apply(blank, new Random(0)).Pixels);
        var tissue = StainReference.Input("crc_tum");
        Assert.Equal(StainReference.Output("macenko", "crc_tum").Pixels, step.Apply(tissue, new Random(0)).Pixels);
    }

    private static byte[] Reds(RgbImage image) => Enumerable.Range(0, image.Width * image.Height).Select(i => image.Pixels[3 * i]).ToArray();

    private static void AssertClose(RgbImage expected, RgbImage actual, int tolerance)
    {
        int max = expected.Pixels.Zip(actual.Pixels, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(max <= tolerance, $"max difference {max}");
    }

    private static RgbImage Crop(RgbImage image, int x0, int y0, int w, int h)
    {
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) Array.Copy(image.Pixels, image.Offset(x0, y0 + y), px, y * w * 3, w * 3);
        return new RgbImage(w, h, px);
    }
}
