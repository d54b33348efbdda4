using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;
using HistoPrognosis.Tests.Slides;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Tests.Tiling;

public class TissueAndQcTests
{
    [Fact]
    public void Otsu_SplitsTwoModes()
    {
        var values = Enumerable.Repeat((byte)20, 500).Concat(Enumerable.Repeat((byte)200, 300)).ToArray();
        int t = TissueDetector.Otsu(values);
        Assert.InRange(t, 20, 199);
    }

    [Fact]
    public void Contours_CoverExactlyTheMaskPixels_WithHoles()
    {
        const int w = 40, h = 30;
        var m = new bool[w * h];
        void Fill(int x0, int y0, int x1, int y1, bool v) { for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) m[y * w + x] = v; }
        Fill(2, 2, 14, 14, true);      // a square with a hole
        Fill(6, 6, 9, 9, false);
        Fill(20, 3, 25, 8, true);      // two squares touching at a corner only (two 4-connected regions)
        Fill(25, 8, 30, 13, true);
        Fill(18, 18, 38, 28, true);    // an L shape
        Fill(28, 18, 38, 23, false);
        var mask = new TissueMask(w, h, m, 4, 4);
        var polygons = MaskContours.Trace(mask);
        Assert.Equal(4, polygons.Count);
        Assert.Equal(1, polygons.Sum(p => p.Holes.Count));
        double area = polygons.Sum(p => MaskContours.SignedArea(p.Outer) + p.Holes.Sum(hole => MaskContours.SignedArea(hole)));
        Assert.Equal(mask.TissuePixels, area);
        Assert.All(polygons, p => Assert.True(MaskContours.SignedArea(p.Outer) > 0));
        Assert.All(polygons.SelectMany(p => p.Holes), hole => Assert.True(MaskContours.SignedArea(hole) < 0));
        var l = polygons.Single(p => p.Outer.Any(v => v == (18, 18)));
        Assert.Equal(7, l.Outer.Count); // 6 corners + closing point: straight runs are merged

        var json = System.Text.Json.JsonDocument.Parse(MaskContours.ToGeoJson(mask, polygons));
        var first = json.RootElement.GetProperty("features").EnumerateArray()
            .Select(f => f.GetProperty("geometry").GetProperty("coordinates")).First(c => c.GetArrayLength() == 2);
        Assert.Contains(first[0].EnumerateArray(), p => p[0].GetDouble() == 8 && p[1].GetDouble() == 8); // (2,2) × 4
        Assert.Equal("annotation", json.RootElement.GetProperty("features")[0].GetProperty("properties").GetProperty("objectType").GetString());
    }

    [Fact]
    public void Detector_FindsTheTissueOfARealSlide()
    {
        using var slide = SlideFactory.Open(WsiFixtures.Cmu1);
        var (mask, overview) = TissueDetector.Detect(slide, 8);
        Assert.Equal((278, 371), (mask.Width, mask.Height)); // ceil(2220/8) x ceil(2967/8)
        double fraction = (double)mask.TissuePixels / (mask.Width * mask.Height);
        Assert.InRange(fraction, 0.2, 0.7);
        // Masked pixels are on average far more saturated than the rest.
        double Sat(int i) { var p = overview.Image.Pixels; int mx = Math.Max(p[3 * i], Math.Max(p[3 * i + 1], p[3 * i + 2])), mn = Math.Min(p[3 * i], Math.Min(p[3 * i + 1], p[3 * i + 2])); return mx == 0 ? 0 : (mx - mn) * 255.0 / mx; }
        var idx = Enumerable.Range(0, mask.Pixels.Length);
        double inside = idx.Where(i => mask.Pixels[i]).Average(Sat), outside = idx.Where(i => !mask.Pixels[i]).Average(Sat);
        Assert.True(inside > 3 * outside, $"saturation inside {inside:0.#}, outside {outside:0.#}");
        // Glass corner is background; the tissue core is tissue.
        Assert.False(mask.Pixels[0]);
        Assert.True(mask.Fraction(1100, 1900, 256, 256) > 0.9);
    }

    [Fact]
    public void Qc_DropsBlurredAndBackgroundTiles_KeepsSharpTissue()
    {
        using var slide = SlideFactory.Open(WsiFixtures.Cmu1);
        var sharp = slide.ReadRegion(0, 1100, 1900, 256, 256);
        RgbImage blurred;
        using (var v = ImageCodec.ToVips(sharp))
        using (var g = v.Gaussblur(4))
            blurred = ImageCodec.FromVips(g);
        var options = new TileQcOptions();
        double vs = TileQc.LaplacianVariance(sharp), vb = TileQc.LaplacianVariance(blurred);
        Assert.True(vs > 5 * options.BlurThreshold, $"sharp tissue: {vs:0.#}");
        Assert.True(vb < options.BlurThreshold, $"blurred: {vb:0.#}");
        Assert.Null(TileQc.Check(sharp, options));
        Assert.Equal(DropReason.Blur, TileQc.Check(blurred, options));
        var glass = slide.ReadRegion(0, 0, 0, 256, 256);
        Assert.True(TileQc.BackgroundFraction(glass, options) > 0.9);
        Assert.Equal(DropReason.Background, TileQc.Check(glass, options));
    }

    [Fact]
    public void RealSlide_TilesAt05_AreInsideTheSlideAndInTissue()
    {
        var dir = WsiFixtures.TempDir("cmu");
        try
        {
            var r = SlideTiler.TileSlide(WsiFixtures.Cmu1, dir, new TilingOptions { TargetMpp = 0.5, TileSize = 256 });
            Assert.InRange(r.Tiles, 15, 60);
            Assert.Equal(0, r.Level);
            Assert.Equal(0.499, r.EffectiveMpp, 6); // within tolerance: read as is, no resampling
            var h5 = CoordinatesFile.Read(r.H5!);
            Assert.Equal(256, h5.PatchSize);
            using var slide = SlideFactory.Open(WsiFixtures.Cmu1);
            for (int i = 0; i < h5.Count; i++)
            {
                Assert.InRange(h5.Coords[i, 0], 0, 2220 - 256);
                Assert.InRange(h5.Coords[i, 1], 0, 2967 - 256);
                Assert.Equal(0, h5.Coords[i, 0] % 256);
            }
            var tile = slide.ReadRegion(0, h5.Coords[0, 0], h5.Coords[0, 1], 256, 256);
            Assert.Null(TileQc.Check(tile, new TileQcOptions()));
        }
        finally { Directory.Delete(dir, true); }
    }
}
