using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;

namespace HistoPrognosis.Tests.Slides;

/// <summary>The real slides of Fixtures/wsi through each backend.</summary>
public class RealSlideTests
{
    [Fact]
    public void Cmu1_OpenSlideAndVips_AgreeOnGeometryMetadataAndPixels()
    {
        using var os = SlideFactory.Open(WsiFixtures.Cmu1, new SlideOpenOptions { Backend = SlideBackend.OpenSlide });
        using var vips = SlideFactory.Open(WsiFixtures.Cmu1, new SlideOpenOptions { Backend = SlideBackend.Vips });
        Assert.Equal(SlideBackend.OpenSlide, os.Backend);
        Assert.Equal(SlideBackend.Vips, vips.Backend);
        Assert.Equal("aperio", os.Vendor);
        Assert.Equal("aperio", vips.Vendor);
        Assert.Equal(new SlideLevel(2220, 2967, 1.0), os.Levels.Single());
        Assert.Equal(os.Levels, vips.Levels);
        Assert.Equal(0.499, os.MppX!.Value, 6);
        Assert.Equal(0.499, os.MppY!.Value, 6);
        Assert.Equal(os.MppX, vips.MppX);
        Assert.Equal(os.MppY, vips.MppY);
        Assert.Equal(20.0, os.ObjectivePower);
        Assert.Equal(os.ObjectivePower, vips.ObjectivePower);

        // Regions that straddle the 240 px JPEG tiles, one at the slide's bottom-right corner.
        foreach (var (x, y, w, h) in new[] { (1000L, 1200L, 300, 200), (0L, 0L, 256, 256), (2220L - 97, 2967L - 61, 97, 61), (700L, 2000L, 481, 333) })
        {
            var a = os.ReadRegion(0, x, y, w, h);
            var b = vips.ReadRegion(0, x, y, w, h);
            Assert.Equal(w, a.Width);
            Assert.Equal(h, a.Height);
            var (mean, max) = WsiFixtures.Difference(a, b);
            // Two libjpeg builds may differ by an IDCT rounding step; anything larger would be a geometry or colour bug.
            Assert.True(mean < 0.5 && max <= 6, $"region ({x},{y}) {w}x{h}: mean |diff| {mean:0.###}, max {max}");
        }
        // Not a blank region: the comparison above means something.
        Assert.True(WsiFixtures.StdDev(os.ReadRegion(0, 1000, 1200, 300, 200)) > 15);
    }

    [Fact]
    public void Cmu1_ShiftedRegion_IsTheSamePixelsMoved()
    {
        using var slide = SlideFactory.Open(WsiFixtures.Cmu1);
        var big = slide.ReadRegion(0, 1100, 1500, 64, 64);
        var shifted = slide.ReadRegion(0, 1110, 1503, 40, 40);
        for (int y = 0; y < 40; y++)
        for (int x = 0; x < 40; x++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(big.Pixels[big.Offset(x + 10, y + 3) + c], shifted.Pixels[shifted.Offset(x, y) + c]);
    }

    [Fact]
    public void TcgaJpeg2000_OpensThroughOpenSlide_WithTwoConsistentLevels()
    {
        Assert.Equal(SlideBackend.OpenSlide, SlideFactory.Detect(WsiFixtures.TcgaJp2k));
        using var slide = SlideFactory.Open(WsiFixtures.TcgaJp2k);
        Assert.Equal(SlideBackend.OpenSlide, slide.Backend);
        Assert.Equal("aperio", slide.Vendor);
        Assert.Equal(2, slide.Levels.Count);
        Assert.Equal((4443L, 3567L), (slide.Levels[0].Width, slide.Levels[0].Height));
        Assert.Equal((2221L, 1783L), (slide.Levels[1].Width, slide.Levels[1].Height));
        Assert.Equal(2.0, slide.Levels[1].Downsample, 2);
        Assert.Null(slide.MppX);
        Assert.Null(slide.MppY);

        var fine = slide.ReadRegion(0, 2000, 1600, 512, 512);
        var coarse = slide.ReadRegion(1, 2000, 1600, 256, 256);
        Assert.True(WsiFixtures.StdDev(fine) > 10, "the compared area holds tissue");
        // Level 1 is the scanner's own 2x reduction of level 0 (compressed on its own: python3-openslide measures a
        // mean |diff| of 8.3 here too). It must match a 2x2 mean of level 0 far better than a region 16 px away does.
        var reduced = HistoPrognosis.Tiling.Resampler.Area(fine, 256, 256);
        var (mean, _) = WsiFixtures.Difference(reduced, coarse);
        var (shiftedMean, _) = WsiFixtures.Difference(reduced, slide.ReadRegion(1, 2032, 1600, 256, 256));
        Assert.True(mean < 10 && mean < 0.5 * shiftedMean, $"level 1 vs reduced level 0: {mean:0.##}; 16 px off: {shiftedMean:0.##}");
    }

    [Fact]
    public void TcgaJpeg2000_ThroughVips_SaysJpeg2000NeedsOpenSlide()
    {
        var ex = Assert.Throws<UserInputException>(() => SlideFactory.Open(WsiFixtures.TcgaJp2k, new SlideOpenOptions { Backend = SlideBackend.Vips }));
        Assert.Contains(WsiFixtures.TcgaJp2k, ex.Message);
        Assert.Contains("JPEG 2000", ex.Message);
    }

    [Fact]
    public void MppOverride_FillsMissingMpp()
    {
        using var slide = SlideFactory.Open(WsiFixtures.TcgaJp2k, new SlideOpenOptions { MppOverride = 0.25 });
        Assert.Equal(0.25, slide.MppX);
        Assert.Equal(0.25, slide.MppY);
    }

    [Fact]
    public void Dicom_GeometryAndMetadata()
    {
        Assert.Equal(SlideBackend.Dicom, SlideFactory.Detect(WsiFixtures.Dicom));
        using var slide = SlideFactory.Open(WsiFixtures.Dicom);
        Assert.Equal(SlideBackend.Dicom, slide.Backend);
        Assert.Equal(new SlideLevel(3236, 2638, 1.0), slide.Levels.Single());
        // The file has no PixelSpacing, and its imaged volume (15 mm x 15 mm for a 3236 x 2638 matrix) gives
        // non-square pixels: no trustworthy µm/px, so none is reported (never a silent guess).
        Assert.Null(slide.MppX);
        Assert.Null(slide.ObjectivePower);
    }

    [Fact]
    public void Dicom_Region_EqualsFramesDecodedDirectly()
    {
        // Independent frame extraction: every JPEG stream (FF D8 FF ... FF D9) in the file, in order.
        var bytes = File.ReadAllBytes(WsiFixtures.Dicom);
        var starts = new List<int>();
        for (int i = 0; i + 2 < bytes.Length; i++)
            if (bytes[i] == 0xFF && bytes[i + 1] == 0xD8 && bytes[i + 2] == 0xFF) starts.Add(i);
        Assert.Equal(42, starts.Count);
        var frames = new RgbImage[42];
        for (int f = 0; f < 42; f++)
        {
            int end = f + 1 < 42 ? starts[f + 1] : bytes.Length;
            while (!(bytes[end - 2] == 0xFF && bytes[end - 1] == 0xD9)) end--;
            frames[f] = ImageCodec.Decode(bytes[starts[f]..end], $"frame {f}");
            Assert.Equal((500, 500), (frames[f].Width, frames[f].Height));
        }

        using var slide = (DicomWsiSlide)SlideFactory.Open(WsiFixtures.Dicom);
        // A region straddling four frames (tiles are 500 px, 7 across, row-major) and one at the matrix's far corner.
        foreach (var (x, y, w, h) in new[] { (430L, 950L, 260, 120), (3236L - 150, 2638L - 40, 150, 40), (0L, 0L, 500, 500) })
        {
            var region = slide.ReadRegion(0, x, y, w, h);
            for (int yy = 0; yy < h; yy++)
            for (int xx = 0; xx < w; xx++)
            {
                long gx = x + xx, gy = y + yy;
                var frame = frames[(gy / 500) * 7 + gx / 500];
                int o = frame.Offset((int)(gx % 500), (int)(gy % 500)), r = region.Offset(xx, yy);
                if (frame.Pixels[o] != region.Pixels[r] || frame.Pixels[o + 1] != region.Pixels[r + 1] || frame.Pixels[o + 2] != region.Pixels[r + 2])
                    Assert.Fail($"pixel ({gx},{gy}) differs from frame {(gy / 500) * 7 + gx / 500}");
            }
        }
        Assert.True(WsiFixtures.StdDev(slide.ReadRegion(0, 430, 950, 260, 120)) > 5);
        Assert.Equal(bytes[starts[8]..(starts[8] + 64)], slide.ReadFrameBytes(0, 8)[..64]);
    }

    [Fact]
    public void RegionOutsideTheSlide_IsAClearError()
    {
        foreach (var backend in new[] { SlideBackend.OpenSlide, SlideBackend.Vips })
        {
            using var slide = SlideFactory.Open(WsiFixtures.Cmu1, new SlideOpenOptions { Backend = backend });
            var ex = Assert.Throws<UserInputException>(() => slide.ReadRegion(0, 2000, 100, 256, 256));
            Assert.Contains(WsiFixtures.Cmu1, ex.Message);
            Assert.Contains("outside", ex.Message);
            Assert.Throws<UserInputException>(() => slide.ReadRegion(0, -1, 0, 10, 10));
            Assert.Throws<UserInputException>(() => slide.ReadRegion(1, 0, 0, 10, 10));
        }
        using var dicom = SlideFactory.Open(WsiFixtures.Dicom);
        Assert.Throws<UserInputException>(() => dicom.ReadRegion(0, 3200, 0, 100, 10));
    }
}
