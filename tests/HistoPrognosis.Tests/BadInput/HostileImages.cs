using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NetVips;

namespace HistoPrognosis.Tests.BadInput;

/// <summary>
/// Image files written in code, a few KB each: headers that claim huge sizes, decompression bombs (highly
/// compressible pixel data behind a huge header) of every type the product decodes, cut files, files that are not
/// images, and valid but unusual encodings (16-bit, palette, grey, CMYK) that must decode to their real pixels.
/// </summary>
public static class HostileImages
{
    /// <summary>A valid 64×64 8-bit RGB image with some structure, as PNG, JPEG, TIFF or WebP bytes.</summary>
    public static byte[] Small(string format)
    {
        using var image = Pattern(64, 64);
        return format switch
        {
            ".png" => image.PngsaveBuffer(),
            ".jpg" => image.JpegsaveBuffer(q: 90),
            ".tif" => image.TiffsaveBuffer(),
            ".webp" => image.WebpsaveBuffer(lossless: true),
            _ => throw new ArgumentException(format),
        };
    }

    /// <summary>An RGB PNG whose IHDR claims <paramref name="width"/> × <paramref name="height"/> over a few bytes of pixel data.</summary>
    public static byte[] PngClaiming(int width, int height) => Png(width, height, bitDepth: 8, colorType: 2, Zlib(new byte[64]));

    /// <summary>A real PNG bomb: every row of a <paramref name="side"/>² 1-bit image present, all zeros, deflated ~1000:1.</summary>
    public static byte[] PngBomb(int side)
    {
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var row = new byte[(side + 7) / 8 + 1]; // filter byte 0, then the row
            for (int y = 0; y < side; y++) z.Write(row);
        }
        return Png(side, side, bitDepth: 1, colorType: 0, compressed.ToArray());
    }

    /// <summary>A baseline JPEG whose frame header (SOF0) claims <paramref name="side"/>² over 64×64 of scan data.</summary>
    public static byte[] JpegClaiming(int side)
    {
        var jpeg = Small(".jpg");
        for (int i = 2; i + 9 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0)
            {
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(i + 5), (ushort)side); // height
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(i + 7), (ushort)side); // width
                return jpeg;
            }
        throw new InvalidOperationException("no SOF0 marker in the JPEG libvips wrote");
    }

    /// <summary>A deflate TIFF bomb: one strip of zeros claiming <paramref name="side"/>² grey pixels.</summary>
    public static byte[] TiffBomb(int side) =>
        Tiff(side, side, compression: 8, tiled: false, data: Zlib(new byte[1 << 20]), offsetPastEnd: false);

    /// <summary>A valid-looking 64×64 tiled TIFF whose tile offsets all point past the end of the file.</summary>
    public static byte[] TiffTilesPastEnd() => Tiff(64, 64, compression: 1, tiled: true, data: [], offsetPastEnd: true);

    /// <summary>A lossless WebP whose VP8L header claims <paramref name="side"/>² (the format's 14-bit maximum is 16,384).</summary>
    public static byte[] WebpClaiming(int side)
    {
        var webp = Small(".webp");
        int at = IndexOf(webp, "VP8L"u8);
        if (at < 0) throw new InvalidOperationException("libvips wrote no VP8L chunk");
        // Signature 0x2F, then 14 bits width − 1, 14 bits height − 1, alpha, version (little endian).
        int header = at + 8 + 1;
        uint bits = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(header));
        bits = (bits & 0xF0000000u) | (uint)(side - 1) | ((uint)(side - 1) << 14);
        BinaryPrimitives.WriteUInt32LittleEndian(webp.AsSpan(header), bits);
        // The extended header (VP8X, written for metadata) states the canvas too: 24 bits each, after 4 bytes of flags.
        if (IndexOf(webp, "VP8X"u8) is var x and >= 0)
            for (int k = 0; k < 2; k++)
            {
                int canvas = x + 8 + 4 + 3 * k;
                (webp[canvas], webp[canvas + 1], webp[canvas + 2]) = ((byte)(side - 1), (byte)((side - 1) >> 8), (byte)((side - 1) >> 16));
            }
        return webp;
    }

    /// <summary>The first <paramref name="fraction"/> of a valid file: a download or copy that stopped.</summary>
    public static byte[] Cut(byte[] file, double fraction) => file[..(int)(file.Length * fraction)];

    /// <summary>16-bit greyscale PNG: a diagonal ramp over the full 0…65535 range (a plain cast to 8 bits would make it white).</summary>
    public static byte[] Grey16()
    {
        var values = new ushort[64 * 64];
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++) values[y * 64 + x] = (ushort)((x + y) * 65535 / 126);
        using var image = Image.NewFromMemory(values, 64, 64, 1, Enums.BandFormat.Ushort).Copy(interpretation: Enums.Interpretation.Grey16);
        return image.PngsaveBuffer(bitdepth: 16);
    }

    /// <summary>16-bit RGBA PNG: colour bands and a varying alpha.</summary>
    public static byte[] Rgba16()
    {
        var values = new ushort[64 * 64 * 4];
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
            {
                int o = (y * 64 + x) * 4;
                (values[o], values[o + 1], values[o + 2], values[o + 3]) = ((ushort)(x * 1000), (ushort)(40000 - y * 500), (ushort)(20000 + x * y * 5), (ushort)(65535 - x * 300));
            }
        using var image = Image.NewFromMemory(values, 64, 64, 4, Enums.BandFormat.Ushort).Copy(interpretation: Enums.Interpretation.Rgb16);
        return image.PngsaveBuffer(bitdepth: 16);
    }

    /// <summary>An 8-bit palette PNG (colour type 3) of four H&amp;E-like colours in stripes.</summary>
    public static byte[] Palette()
    {
        byte[] palette = [120, 40, 140, 230, 170, 210, 250, 245, 250, 70, 20, 90];
        var raw = new byte[64 * 65];
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++) raw[y * 65 + 1 + x] = (byte)((x / 8 + y / 16) % 4);
        return Png(64, 64, bitDepth: 8, colorType: 3, Zlib(raw), palette);
    }

    /// <summary>A one-band (greyscale) JPEG.</summary>
    public static byte[] GreyJpeg()
    {
        using var rgb = Pattern(64, 64);
        using var grey = rgb.Colourspace(Enums.Interpretation.Bw);
        return grey.JpegsaveBuffer(q: 90);
    }

    /// <summary>A four-band CMYK JPEG (Adobe), as prepress tools write them.</summary>
    public static byte[] CmykJpeg()
    {
        using var rgb = Pattern(64, 64);
        using var cmyk = (255 - rgb).Bandjoin(rgb.ExtractBand(1) / 3).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Cmyk);
        return cmyk.JpegsaveBuffer(q: 90);
    }

    /// <summary>A plain white 8-bit RGB PNG: what a decode that clamps 16-bit samples would produce.</summary>
    public static byte[] White()
    {
        using var black = Image.Black(64, 64, bands: 3);
        using var white = (black + 255).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        return white.PngsaveBuffer();
    }

    private static Image Pattern(int width, int height)
    {
        using var xy = Image.Xyz(width, height);
        using var x = xy[0];
        using var y = xy[1];
        using var rgb = (x * 3).Bandjoin(y * 3, (x + y) * 2);
        return rgb.Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
    }

    private static byte[] Png(int width, int height, byte bitDepth, byte colorType, byte[] idat, byte[]? palette = null)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        (ihdr[8], ihdr[9]) = (bitDepth, colorType);
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        if (palette is not null) Chunk(png, "PLTE", palette);
        Chunk(png, "IDAT", idat);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(length, Crc32(typed));
        png.Write(length);
    }

    private static byte[] Zlib(byte[] raw)
    {
        var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(raw);
        return output.ToArray();
    }

    /// <summary>
    /// A little-endian baseline TIFF of 8-bit grey: one strip holding <paramref name="data"/>, or 16×16 tiles whose
    /// offsets point <see cref="offsetPastEnd"/> beyond the file.
    /// </summary>
    private static byte[] Tiff(int width, int height, ushort compression, bool tiled, byte[] data, bool offsetPastEnd)
    {
        const int tile = 16;
        int tiles = tiled ? (width / tile) * (height / tile) : 1;
        var entries = new List<(ushort Tag, ushort Type, uint Count, uint Value)>
        {
            (256, 4, 1, (uint)width), (257, 4, 1, (uint)height), (258, 3, 1, 8), (259, 3, 1, compression), (262, 3, 1, 1), (277, 3, 1, 1),
        };
        // Layout: header (8), IFD (2 + 12 n + 4), the offset and count arrays, the data.
        int n = entries.Count + (tiled ? 4 : 3);
        uint arrays = (uint)(8 + 2 + 12 * n + 4);
        uint dataStart = arrays + (uint)(tiles > 1 ? 8 * tiles : 0);
        uint fileEnd = dataStart + (uint)data.Length;
        uint offset = offsetPastEnd ? fileEnd + 100_000 : dataStart;
        uint count = tiled ? tile * tile : (uint)data.Length;
        uint Array(int index, uint single) => tiles == 1 ? single : arrays + (uint)(index * 4 * tiles);
        if (tiled)
        {
            entries.Add((322, 3, 1, tile));
            entries.Add((323, 3, 1, tile));
            entries.Add((324, 4, (uint)tiles, Array(0, offset)));
            entries.Add((325, 4, (uint)tiles, Array(1, count)));
        }
        else
        {
            entries.Add((273, 4, 1, offset));
            entries.Add((278, 4, 1, (uint)height));
            entries.Add((279, 4, 1, count));
        }
        var file = new byte[fileEnd];
        "II"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), (ushort)entries.Count);
        int at = 10;
        foreach (var (tag, type, c, value) in entries.OrderBy(e => e.Tag))
        {
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(at), tag);
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(at + 2), type);
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at + 4), c);
            if (type == 3 && c == 1) BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(at + 8), (ushort)value);
            else BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at + 8), value);
            at += 12;
        }
        if (tiles > 1)
            for (int t = 0; t < tiles; t++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan((int)arrays + 4 * t), offset + (uint)(t * count));
                BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan((int)arrays + 4 * (tiles + t)), count);
            }
        data.CopyTo(file.AsSpan((int)dataStart));
        return file;
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
