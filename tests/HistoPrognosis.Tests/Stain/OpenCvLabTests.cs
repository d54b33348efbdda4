using HistoPrognosis.Stain;

namespace HistoPrognosis.Tests.Stain;

public sealed class OpenCvLabTests
{
    // Expected bytes from cv2.cvtColor (OpenCV 4.6.0, the reference's version). A full 2^24-colour comparison
    // against OpenCV matched every byte in both directions when this port was written.
    [Theory]
    [InlineData(255, 255, 255, 255, 128, 128)]
    [InlineData(0, 0, 0, 0, 128, 128)]
    [InlineData(200, 120, 180, 155, 168, 110)]
    [InlineData(64, 32, 128, 58, 166, 79)]
    [InlineData(12, 200, 90, 181, 63, 171)]
    public void RgbToLabMatchesOpenCv(byte r, byte g, byte b, byte l, byte a, byte bb)
    {
        var lab = new byte[3];
        OpenCvLab.RgbToLab([r, g, b], lab);
        Assert.Equal(new[] { l, a, bb }, lab);
    }

    [Theory]
    [InlineData(128, 128, 128, 119, 119, 119)]
    [InlineData(80, 170, 100, 116, 44, 118)]
    [InlineData(200, 110, 140, 167, 203, 171)]
    public void LabToRgbMatchesOpenCv(byte l, byte a, byte b, byte r, byte g, byte bb)
    {
        var rgb = new byte[3];
        OpenCvLab.LabToRgb([l, a, b], rgb);
        Assert.Equal(new[] { r, g, bb }, rgb);
    }

    [Fact]
    public void RoundTripStaysWithinTwoLevels()
    {
        var rng = new Random(7);
        var rgb = new byte[3 * 5000];
        rng.NextBytes(rgb);
        var lab = new byte[rgb.Length];
        var back = new byte[rgb.Length];
        OpenCvLab.RgbToLab(rgb, lab);
        OpenCvLab.LabToRgb(lab, back);
        // 8-bit LAB quantises; OpenCV's own round trip differs by a few levels in saturated corners.
        double mean = rgb.Zip(back, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(mean < 1.5, $"mean round-trip error {mean}");
    }
}
