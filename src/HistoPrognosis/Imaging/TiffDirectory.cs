using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace HistoPrognosis.Imaging;

/// <summary>
/// The tags of one TIFF image file directory (page) that slide reading needs. <see cref="DataOffsets"/> and
/// <see cref="DataByteCounts"/> locate each tile (or strip, for a page that is not tiled) in the file.
/// </summary>
public sealed record TiffPage(
    int Index, long Width, long Height, int Compression, int TileWidth, int TileHeight, int SamplesPerPixel,
    long NewSubfileType, string? Description, double? XResolution, double? YResolution, int ResolutionUnit,
    long[] DataOffsets, long[] DataByteCounts)
{
    public bool IsTiled => TileWidth > 0 && TileHeight > 0;

    /// <summary>PhotometricInterpretation (262): 2 RGB, 6 YCbCr, ...; -1 when absent.</summary>
    public int Photometric { get; init; } = -1;

    /// <summary>PlanarConfiguration (284): 1 interleaved (the default), 2 separate planes.</summary>
    public int PlanarConfiguration { get; init; } = 1;

    /// <summary>BitsPerSample (258) of the first sample (8 unless the file says otherwise).</summary>
    public int BitsPerSample { get; init; } = 8;

    /// <summary>JPEGTables (347): the quantisation and Huffman tables a JPEG tile's abbreviated stream leaves out, or null.</summary>
    public byte[]? JpegTables { get; init; }

    /// <summary>
    /// Fails naming the file when a tile or strip is not where the directory says: its data runs past the end of the
    /// file (a truncated copy, damaged offsets) or the offset and byte-count tables disagree. libvips would otherwise
    /// fail deep inside a read with "unable to fetch from region".
    /// </summary>
    public void CheckDataInside(string path, long fileLength)
    {
        if (DataOffsets.Length != DataByteCounts.Length)
            throw new UserInputException($"{path}: TIFF page {Index} lists {DataOffsets.Length} tile offsets but {DataByteCounts.Length} byte counts (damaged file)");
        for (int i = 0; i < DataOffsets.Length; i++)
            if (DataOffsets[i] < 0 || DataByteCounts[i] < 0 || DataOffsets[i] + DataByteCounts[i] > fileLength)
                throw new UserInputException(
                    $"{path}: TIFF page {Index}, {(IsTiled ? "tile" : "strip")} {i}: its data ({DataByteCounts[i]} bytes at offset {DataOffsets[i]}) " +
                    $"lies past the end of the file ({fileLength} bytes); the file is truncated or damaged");
    }

    /// <summary>µm/px from the TIFF resolution tags, when present and plausible for microscopy (0.01–50 µm/px).</summary>
    public (double? X, double? Y) ResolutionMpp()
    {
        double perUnit = ResolutionUnit switch { 2 => 25400.0, 3 => 10000.0, _ => 0 };
        return (Plausible(perUnit, XResolution), Plausible(perUnit, YResolution));
        static double? Plausible(double perUnit, double? res) =>
            perUnit > 0 && res is > 0 && perUnit / res.Value is >= 0.01 and <= 50 ? perUnit / res.Value : null;
    }
}

/// <summary>
/// Reads the directory structure of a classic or BigTIFF file (no pixel data) to tell pyramid levels from associated
/// images, which compression each uses and the resolution metadata.
/// </summary>
public static class TiffDirectory
{
    /// <summary>TIFF compressions the bundled libvips decodes (none, LZW, JPEG, deflate, PackBits, WebP, ZSTD).</summary>
    public static readonly IReadOnlySet<int> VipsCompressions = new HashSet<int> { 1, 5, 7, 8, 32946, 32773, 50001, 50000 };

    public static bool HasTiffMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && ((head[0] == 'I' && head[1] == 'I' && (head[2] == 42 || head[2] == 43) && head[3] == 0) ||
                             (head[0] == 'M' && head[1] == 'M' && head[2] == 0 && (head[3] == 42 || head[3] == 43)));

    /// <summary>Reads every page's tags; throws <see cref="UserInputException"/> naming the file when it is not a valid TIFF.</summary>
    public static IReadOnlyList<TiffPage> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.RandomAccess);
        try { return Read(stream); }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or ArgumentOutOfRangeException or OverflowException)
        {
            throw new UserInputException($"{path}: not a valid TIFF file ({ex.Message})", ex);
        }
    }

    private static IReadOnlyList<TiffPage> Read(Stream s)
    {
        var head = ReadAt(s, 0, 16, allowShort: true);
        if (!HasTiffMagic(head)) throw new InvalidDataException("no TIFF header");
        bool le = head[0] == 'I';
        bool big = (le ? head[2] : head[3]) == 43;
        ulong next = big ? U64(head.AsSpan(8), le) : U32(head.AsSpan(4), le);
        var pages = new List<TiffPage>();
        var seen = new HashSet<ulong>();
        while (next != 0 && pages.Count < 4096)
        {
            if (!seen.Add(next) || next >= (ulong)s.Length) throw new InvalidDataException($"bad directory offset {next}");
            var countBytes = ReadAt(s, (long)next, big ? 8 : 2);
            ulong count = big ? U64(countBytes, le) : U16(countBytes, le);
            if (count > 10000) throw new InvalidDataException($"implausible tag count {count}");
            int entrySize = big ? 20 : 12;
            var entries = ReadAt(s, (long)next + (big ? 8 : 2), checked((int)count * entrySize + (big ? 8 : 4)));
            var tags = new Dictionary<int, (int Type, ulong Count, byte[] Value)>();
            for (int i = 0; i < (int)count; i++)
            {
                var e = entries.AsSpan(i * entrySize, entrySize);
                int tag = U16(e, le), type = U16(e[2..], le);
                ulong n = big ? U64(e[4..], le) : U32(e[4..], le);
                int unit = type switch { 1 or 2 or 6 or 7 => 1, 3 or 8 => 2, 4 or 9 or 11 or 13 => 4, 5 or 10 or 12 or 16 or 17 or 18 => 8, _ => 0 };
                if (unit == 0 || n > 1 << 24) continue;
                int size = checked((int)n * unit);
                int inline = big ? 8 : 4;
                byte[] value = size <= inline
                    ? e.Slice(big ? 12 : 8, size).ToArray()
                    : ReadAt(s, (long)(big ? U64(e[12..], le) : U32(e[8..], le)), size);
                tags[tag] = (type, n, value);
            }
            next = big ? U64(entries.AsSpan((int)count * entrySize), le) : U32(entries.AsSpan((int)count * entrySize), le);

            long Num(int tag, long fallback = 0)
            {
                if (!tags.TryGetValue(tag, out var t) || t.Count == 0) return fallback;
                return t.Type switch
                {
                    1 => t.Value[0],
                    3 => U16(t.Value, le),
                    4 or 13 => U32(t.Value, le),
                    16 => (long)U64(t.Value, le),
                    _ => fallback,
                };
            }
            double? Rational(int tag)
            {
                if (!tags.TryGetValue(tag, out var t) || t.Type != 5 || t.Count == 0) return null;
                double num = U32(t.Value, le), den = U32(t.Value.AsSpan(4), le);
                return den == 0 ? null : num / den;
            }
            long[] Numbers(int tag)
            {
                if (!tags.TryGetValue(tag, out var t)) return [];
                var values = new long[t.Count];
                for (int i = 0; i < values.Length; i++)
                    values[i] = t.Type switch
                    {
                        3 => U16(t.Value.AsSpan(2 * i), le),
                        4 or 13 => U32(t.Value.AsSpan(4 * i), le),
                        16 => (long)U64(t.Value.AsSpan(8 * i), le),
                        _ => throw new InvalidDataException($"tag {tag} has type {t.Type}, not an integer"),
                    };
                return values;
            }
            string? description = tags.TryGetValue(270, out var d) && d.Type == 2
                ? Encoding.UTF8.GetString(d.Value).TrimEnd('\0') : null;
            bool tiled = Num(322) > 0 && Num(323) > 0;
            pages.Add(new TiffPage(pages.Count, Num(256), Num(257), (int)Num(259, 1), (int)Num(322), (int)Num(323),
                (int)Num(277, 1), Num(254), description, Rational(282), Rational(283), (int)Num(296, 2),
                Numbers(tiled ? 324 : 273), Numbers(tiled ? 325 : 279))
            {
                Photometric = (int)Num(262, -1),
                PlanarConfiguration = (int)Num(284, 1),
                BitsPerSample = (int)Num(258, 8),
                JpegTables = tags.TryGetValue(347, out var jt) && jt.Type is 1 or 7 && jt.Value.Length >= 4 ? jt.Value : null,
            });
        }
        if (pages.Count == 0) throw new InvalidDataException("no image directory");
        return pages;
    }

    /// <summary>
    /// The pages that form the pyramid: page 0, then every later tiled page whose size shrinks and whose aspect ratio
    /// matches level 0 (Aperio's thumbnail, label and macro pages are stripped or differently shaped, so they drop out).
    /// </summary>
    public static IReadOnlyList<TiffPage> PyramidPages(IReadOnlyList<TiffPage> pages)
    {
        var first = pages[0];
        var levels = new List<TiffPage> { first };
        if (!first.IsTiled) return levels;
        foreach (var p in pages.Skip(1))
        {
            var last = levels[^1];
            if (!p.IsTiled || p.Width >= last.Width || p.Height >= last.Height || p.Width <= 0 || p.Height <= 0) continue;
            double dsx = (double)first.Width / p.Width, dsy = (double)first.Height / p.Height;
            if (Math.Abs(dsx - dsy) / Math.Max(dsx, dsy) > 0.02 + 2.0 / Math.Min(p.Width, p.Height)) continue;
            if ((p.NewSubfileType & ~1L) != 0) continue; // page, mask or macro flags: not a pyramid level
            levels.Add(p);
        }
        return levels;
    }

    /// <summary>Aperio's ImageDescription keys (<c>MPP = 0.4990 | AppMag = 20</c>), or null when not an Aperio file.</summary>
    public static IReadOnlyDictionary<string, string>? AperioProperties(string? description)
    {
        if (description is null || !description.StartsWith("Aperio", StringComparison.Ordinal)) return null;
        var props = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in description.Split('|').Skip(1))
        {
            var kv = part.Split('=', 2);
            if (kv.Length == 2) props[kv[0].Trim()] = kv[1].Trim();
        }
        return props;
    }

    internal static double? ParsePositive(string? s) =>
        s is not null && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v : null;

    private static byte[] ReadAt(Stream s, long offset, int count, bool allowShort = false)
    {
        if (offset < 0 || offset > s.Length) throw new InvalidDataException($"offset {offset} beyond end of file");
        var buf = new byte[count];
        s.Position = offset;
        int read = 0;
        while (read < count)
        {
            int n = s.Read(buf, read, count - read);
            if (n == 0) break;
            read += n;
        }
        if (read < count && !allowShort) throw new EndOfStreamException($"file truncated at offset {offset + read}");
        return buf;
    }

    private static ushort U16(ReadOnlySpan<byte> b, bool le) => le ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);
    private static uint U32(ReadOnlySpan<byte> b, bool le) => le ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
    private static ulong U64(ReadOnlySpan<byte> b, bool le) => le ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b);
}
