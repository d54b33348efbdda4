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

    // SHA-256 of cv2.cvtColor (OpenCV 4.6.0, Debian python3-opencv) over all 2^24 byte triples in order
    // (r << 16 | g << 8 | b), once as RGB→LAB and once reading the same bytes as L, a, b for LAB→RGB.
    private const string AllColoursToLab = "b3067516fa862bb008af4ffb4da5555722524a70776bf7ffd523a90f4331480c";
    private const string AllColoursFromLab = "fe94a44a1fb178c1b5041a43095c4d99f4d37fb7b32258da356d8bd63bba9b0d";

    [Fact]
    public void EveryColourMatchesOpenCvInBothDirections()
    {
        var input = new byte[3 << 24];
        for (int i = 0; i < 1 << 24; i++)
        {
            input[3 * i] = (byte)(i >> 16);
            input[3 * i + 1] = (byte)(i >> 8);
            input[3 * i + 2] = (byte)i;
        }
        var output = new byte[input.Length];
        var histogram = new int[768];
        OpenCvLab.RgbToLab(input, output, histogram);
        Assert.Equal(AllColoursToLab, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(output)));
        // The fused histogram counts every output byte of its channel.
        for (int c = 0; c < 3; c++)
        {
            var expected = new int[256];
            for (int i = c; i < output.Length; i += 3) expected[output[i]]++;
            Assert.Equal(expected, histogram.AsSpan(256 * c, 256).ToArray());
        }
        OpenCvLab.LabToRgb(input, output);
        Assert.Equal(AllColoursFromLab, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(output)));
    }

    [Fact]
    public void MappedInverseEqualsMappingThenInverting()
    {
        var rng = new Random(11);
        var map = new byte[768];
        rng.NextBytes(map);
        var lab = new byte[3 * 4096];
        rng.NextBytes(lab);
        var mapped = new byte[lab.Length];
        for (int i = 0; i < lab.Length; i++) mapped[i] = map[256 * (i % 3) + lab[i]];
        var expected = new byte[lab.Length];
        OpenCvLab.LabToRgb(mapped, expected);
        var actual = new byte[lab.Length];
        OpenCvLab.LabToRgb(lab, map, actual);
        Assert.Equal(expected, actual);
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
