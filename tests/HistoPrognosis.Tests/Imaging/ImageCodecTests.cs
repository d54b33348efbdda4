using System.Buffers.Binary;
using System.IO.Compression;
using HistoPrognosis.Imaging;
using NetVips;

namespace HistoPrognosis.Tests.Imaging;

/// <summary>The one guarded decode path: sizes checked from the header, truncation an error, 16-bit and alpha converted.</summary>
public sealed class ImageCodecTests
{
    [Fact]
    public void SixteenBitGreyIsScaledNotClampedToWhite()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "grey16.png");
        // A horizontal ramp 0 … 65535 over 256 columns.
        var values = new ushort[256 * 4];
        for (int i = 0; i < values.Length; i++) values[i] = (ushort)(i % 256 * 257);
        using (var ramp = Image.NewFromMemory(values, 256, 4, 1, Enums.BandFormat.Ushort).Copy(interpretation: Enums.Interpretation.Grey16))
            ramp.Pngsave(path, bitdepth: 16);
        using (var check = Image.NewFromFile(path)) Assert.Equal(Enums.BandFormat.Ushort, check.Format);
        var image = ImageCodec.Read(path);
        Assert.Equal(256, image.Width);
        byte first = image.Pixels[image.Offset(0, 0)], middle = image.Pixels[image.Offset(128, 0)], last = image.Pixels[image.Offset(255, 0)];
        Assert.True(first <= 1 && middle is > 120 and < 136 && last >= 254, $"ramp became {first}, {middle}, {last}");
        Assert.Equal(image.Pixels[image.Offset(128, 0)], image.Pixels[image.Offset(128, 0) + 2]); // grey expanded to RGB
    }

    [Fact]
    public void SixteenBitRgbaIsCompositedOnWhiteAtEightBits()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "rgba16.png");
        // Opaque dark red on the left half, fully transparent on the right.
        var values = new ushort[16 * 2 * 4];
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 8; x++) { int o = (y * 16 + x) * 4; values[o] = 30000; values[o + 3] = 65535; }
        using (var both = Image.NewFromMemory(values, 16, 2, 4, Enums.BandFormat.Ushort).Copy(interpretation: Enums.Interpretation.Rgb16))
            both.Pngsave(path, bitdepth: 16);
        var image = ImageCodec.Read(path);
        Assert.Equal([(byte)(30000 / 257), (byte)0, (byte)0], image.Pixels[image.Offset(1, 1)..(image.Offset(1, 1) + 3)]);
        Assert.Equal([(byte)255, (byte)255, (byte)255], image.Pixels[image.Offset(12, 1)..(image.Offset(12, 1) + 3)]);
    }

    [Fact]
    public void ATruncatedPngIsAnErrorNamingTheFile()
    {
        var dir = TestPaths.NewTempDirectory();
        var whole = Path.Combine(dir, "whole.png");
        using (var noise = Image.Gaussnoise(200, 200).Cast(Enums.BandFormat.Uchar))
        using (var rgb = noise.Bandjoin(noise, noise).Copy(interpretation: Enums.Interpretation.Srgb))
            rgb.Pngsave(whole, compression: 0);
        var bytes = File.ReadAllBytes(whole);
        var cut = Path.Combine(dir, "cut.png");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        Assert.Equal(200, ImageCodec.Read(whole).Height);
        var ex = Assert.Throws<UserInputException>(() => ImageCodec.Read(cut));
        Assert.Contains(cut, ex.Message);
    }

    [Theory]
    [InlineData(30_000, 30_000)]
    [InlineData(100_000, 100_000)]
    public void AHeaderClaimingAHugeSizeIsRefusedBeforeDecoding(int width, int height)
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "bomb.png");
        File.WriteAllBytes(path, PngClaiming(width, height));
        var ex = Assert.Throws<UserInputException>(() => ImageCodec.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains($"{width} × {height}", ex.Message);
        Assert.Contains("more than the", ex.Message);
    }

    /// <summary>A PNG whose IHDR states the size but whose data is one tiny compressed row: a decompression bomb's header.</summary>
    internal static byte[] PngClaiming(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
        Chunk(png, "IHDR", ihdr);
        using var data = new MemoryStream();
        using (var z = new ZLibStream(data, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(new byte[1 + 3 * Math.Min(width, 4096)]);
        Chunk(png, "IDAT", data.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    // PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320).
    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    private static void Chunk(Stream stream, string type, byte[] payload)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, payload.Length);
        stream.Write(length);
        var body = System.Text.Encoding.ASCII.GetBytes(type).Concat(payload).ToArray();
        stream.Write(body);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(body));
        stream.Write(crc);
    }
}
