using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace HistoPrognosis.Slides;

/// <summary>One element's value as stored: small values in memory, large ones (pixel data) as file ranges.</summary>
public sealed class DicomElement(uint tag, string vr, byte[]? value, List<DicomDataset>? items)
{
    public uint Tag { get; } = tag;
    public string VR { get; } = vr;
    public byte[]? Value { get; } = value;
    public List<DicomDataset>? Items { get; } = items;
}

/// <summary>A parsed DICOM data set: the elements by tag (group &lt;&lt; 16 | element).</summary>
public sealed class DicomDataset
{
    internal readonly Dictionary<uint, DicomElement> Elements = new();

    public bool Contains(uint tag) => Elements.ContainsKey(tag);

    public string? String(uint tag) =>
        Elements.TryGetValue(tag, out var e) && e.Value is { } v ? Encoding.Latin1.GetString(v).TrimEnd('\0', ' ').Trim() : null;

    /// <summary>An unsigned or signed integer value (US, UL, SS, SL) or an integer string (IS).</summary>
    public long? Integer(uint tag, int index = 0)
    {
        if (!Elements.TryGetValue(tag, out var e) || e.Value is not { } v) return null;
        switch (e.VR)
        {
            case "US": return v.Length >= 2 * (index + 1) ? BinaryPrimitives.ReadUInt16LittleEndian(v.AsSpan(2 * index)) : null;
            case "SS": return v.Length >= 2 * (index + 1) ? BinaryPrimitives.ReadInt16LittleEndian(v.AsSpan(2 * index)) : null;
            case "UL": return v.Length >= 4 * (index + 1) ? BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(4 * index)) : null;
            case "SL": return v.Length >= 4 * (index + 1) ? BinaryPrimitives.ReadInt32LittleEndian(v.AsSpan(4 * index)) : null;
            default:
                var parts = Encoding.Latin1.GetString(v).Trim('\0', ' ').Split('\\');
                return index < parts.Length && long.TryParse(parts[index].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        }
    }

    /// <summary>A decimal string (DS) or floating value (FL, FD) at position <paramref name="index"/> of a multi-value.</summary>
    public double? Decimal(uint tag, int index = 0)
    {
        if (!Elements.TryGetValue(tag, out var e) || e.Value is not { } v) return null;
        switch (e.VR)
        {
            case "FL": return v.Length >= 4 * (index + 1) ? BinaryPrimitives.ReadSingleLittleEndian(v.AsSpan(4 * index)) : null;
            case "FD": return v.Length >= 8 * (index + 1) ? BinaryPrimitives.ReadDoubleLittleEndian(v.AsSpan(8 * index)) : null;
            default:
                var parts = Encoding.Latin1.GetString(v).Trim('\0', ' ').Split('\\');
                return index < parts.Length && double.TryParse(parts[index].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
        }
    }

    /// <summary>The items of a sequence (empty when absent).</summary>
    public IReadOnlyList<DicomDataset> Sequence(uint tag) =>
        Elements.TryGetValue(tag, out var e) && e.Items is { } items ? items : [];
}

/// <summary>
/// A managed DICOM Part 10 reader sufficient for whole-slide images: file meta, explicit or implicit VR little endian
/// data sets with nested sequences, and pixel data either encapsulated (one or more fragments per frame, basic or
/// extended offset table) or native. Pixel data is never loaded: only the file ranges of each frame are recorded.
/// </summary>
public sealed class DicomFile
{
    public const uint PixelDataTag = 0x7FE00010;
    private const uint ItemTag = 0xFFFEE000, ItemDelimiter = 0xFFFEE00D, SequenceDelimiter = 0xFFFEE0DD;
    private const uint ExtendedOffsetTableTag = 0x7FE00001, ExtendedOffsetLengthsTag = 0x7FE00002;
    private const int MaxInlineValue = 64 << 20;

    // Sequences whose VR an implicit-VR file does not state (the ones WSI reading descends into).
    private static readonly HashSet<uint> KnownSequences =
    [
        0x52009229, 0x52009230, 0x00289110, 0x0048021A, 0x00480105, 0x00480008, 0x00209111, 0x00209113, 0x00080220,
    ];

    private DicomFile(string path, DicomDataset meta, DicomDataset dataset, string transferSyntax,
        IReadOnlyList<(long Offset, int Length)[]>? frames, (long Offset, long Length)? nativePixels)
    {
        Path = path;
        Meta = meta;
        Dataset = dataset;
        TransferSyntax = transferSyntax;
        EncapsulatedFrames = frames;
        NativePixels = nativePixels;
    }

    public string Path { get; }
    public DicomDataset Meta { get; }
    public DicomDataset Dataset { get; }
    public string TransferSyntax { get; }

    /// <summary>For encapsulated pixel data: per frame, the file ranges of its fragments (in order).</summary>
    public IReadOnlyList<(long Offset, int Length)[]>? EncapsulatedFrames { get; }

    /// <summary>For native (uncompressed) pixel data: its file range.</summary>
    public (long Offset, long Length)? NativePixels { get; }

    public static bool HasDicomMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M';

    /// <summary>Parses a Part 10 file; a <see cref="UserInputException"/> names the file and what is wrong.</summary>
    public static DicomFile Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"DICOM file not found: {path}");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            var reader = new Reader(stream);
            var head = reader.Bytes(132, allowShort: true);
            if (!HasDicomMagic(head)) throw new InvalidDataException("no DICM marker at byte 128 (not a DICOM Part 10 file)");
            var meta = new DicomDataset();
            // The file meta group is always explicit VR little endian; it ends where group 0002 ends.
            while (stream.Position < stream.Length)
            {
                long start = stream.Position;
                var group = BinaryPrimitives.ReadUInt16LittleEndian(reader.Bytes(2));
                stream.Position = start;
                if (group != 0x0002) break;
                var (el, _) = ReadElement(reader, explicitVr: true, meta, null);
                meta.Elements[el.Tag] = el;
            }
            var syntax = meta.String(0x00020010) ?? throw new InvalidDataException("the file meta has no Transfer Syntax UID (0002,0010)");
            bool explicitVr = syntax != "1.2.840.10008.1.2";
            if (syntax == "1.2.840.10008.1.2.2") throw new InvalidDataException("explicit VR big endian is not supported");
            if (syntax == "1.2.840.10008.1.2.1.99") throw new InvalidDataException("deflated transfer syntax is not supported");
            var dataset = new DicomDataset();
            List<(long, int)[]>? frames = null;
            (long, long)? native = null;
            while (stream.Position < stream.Length)
            {
                var (el, pixel) = ReadElement(reader, explicitVr, dataset, ds => frames = ds);
                dataset.Elements[el.Tag] = el;
                if (el.Tag == PixelDataTag)
                {
                    native = pixel;
                    break; // nothing after pixel data matters here (trailing padding is ignored)
                }
            }
            if (frames is not null) frames = GroupFragments(frames, dataset, reader);
            return new DicomFile(path, meta, dataset, syntax, frames, native);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or OverflowException or ArgumentException)
        {
            throw new UserInputException($"{path}: not a readable DICOM file ({ex.Message})", ex);
        }
    }

    // Fragments → frames: one fragment per frame when the counts agree; otherwise the (extended) offset table;
    // otherwise every fragment that starts a JPEG stream (FF D8) starts a new frame.
    private static List<(long, int)[]> GroupFragments(List<(long, int)[]> raw, DicomDataset ds, Reader reader)
    {
        var fragments = raw[1..].Select(f => f[0]).ToList(); // raw[0] is the basic offset table
        long frameCount = ds.Integer(0x00280008) ?? 1;
        if (fragments.Count == frameCount) return fragments.Select(f => new[] { f }).ToList();
        var offsets = new List<long>();
        if (ds.Elements.TryGetValue(ExtendedOffsetTableTag, out var eot) && eot.Value is { } ev)
            for (int i = 0; i + 8 <= ev.Length; i += 8) offsets.Add((long)BinaryPrimitives.ReadUInt64LittleEndian(ev.AsSpan(i)));
        else if (raw[0][0].Item2 > 0)
        {
            var bot = reader.At(raw[0][0].Item1, raw[0][0].Item2);
            for (int i = 0; i + 4 <= bot.Length; i += 4) offsets.Add(BinaryPrimitives.ReadUInt32LittleEndian(bot.AsSpan(i)));
        }
        var result = new List<(long, int)[]>();
        if (offsets.Count > 0)
        {
            // Offsets count from the first byte of the first fragment's item tag; each fragment has an 8-byte item header.
            long firstItem = fragments[0].Item1 - 8;
            var starts = offsets.Select(o => firstItem + o).ToList();
            for (int f = 0; f < starts.Count; f++)
            {
                long end = f + 1 < starts.Count ? starts[f + 1] : long.MaxValue;
                result.Add(fragments.Where(x => x.Item1 - 8 >= starts[f] && x.Item1 - 8 < end).ToArray());
            }
            return result;
        }
        var current = new List<(long, int)>();
        foreach (var frag in fragments)
        {
            var sig = reader.At(frag.Item1, Math.Min(2, frag.Item2));
            if (sig.Length == 2 && sig[0] == 0xFF && sig[1] == 0xD8 && current.Count > 0)
            {
                result.Add(current.ToArray());
                current.Clear();
            }
            current.Add(frag);
        }
        if (current.Count > 0) result.Add(current.ToArray());
        return result;
    }

    private static (DicomElement Element, (long, long)? NativePixels) ReadElement(
        Reader r, bool explicitVr, DicomDataset owner, Action<List<(long, int)[]>>? onFragments)
    {
        var h = r.Bytes(4);
        uint tag = (uint)BinaryPrimitives.ReadUInt16LittleEndian(h) << 16 | BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(2));
        string vr;
        long length;
        if (explicitVr && tag >> 16 != 0xFFFE)
        {
            var v = r.Bytes(2);
            vr = Encoding.ASCII.GetString(v);
            if (vr is "OB" or "OD" or "OF" or "OL" or "OV" or "OW" or "SQ" or "SV" or "UC" or "UN" or "UR" or "UT" or "UV")
            {
                r.Bytes(2);
                length = BinaryPrimitives.ReadUInt32LittleEndian(r.Bytes(4));
            }
            else if (vr.Length == 2 && char.IsAsciiLetterUpper(vr[0]) && char.IsAsciiLetterUpper(vr[1]))
                length = BinaryPrimitives.ReadUInt16LittleEndian(r.Bytes(2));
            else throw new InvalidDataException($"invalid VR bytes at offset {r.Position - 2} for tag {TagName(tag)}");
        }
        else
        {
            length = BinaryPrimitives.ReadUInt32LittleEndian(r.Bytes(4));
            vr = KnownSequences.Contains(tag) || (length == 0xFFFFFFFF && tag != PixelDataTag) ? "SQ" : "UN";
        }
        bool undefined = length == 0xFFFFFFFF;
        if (tag == PixelDataTag)
        {
            if (undefined)
            {
                onFragments?.Invoke(ReadFragments(r));
                return (new DicomElement(tag, vr, null, null), null);
            }
            long start = r.Position;
            r.Skip(length);
            return (new DicomElement(tag, vr, null, null), (start, length));
        }
        if (vr == "SQ" || (vr == "UN" && undefined))
            return (new DicomElement(tag, "SQ", null, ReadSequence(r, explicitVr, undefined ? -1 : length)), null);
        if (undefined) throw new InvalidDataException($"undefined length for non-sequence element {TagName(tag)}");
        if (length > MaxInlineValue)
        {
            r.Skip(length);
            return (new DicomElement(tag, vr, null, null), null);
        }
        return (new DicomElement(tag, vr, r.Bytes((int)length), null), null);
    }

    private static List<DicomDataset> ReadSequence(Reader r, bool explicitVr, long length)
    {
        var items = new List<DicomDataset>();
        long end = length < 0 ? long.MaxValue : r.Position + length;
        while (r.Position < end)
        {
            var h = r.Bytes(8);
            uint tag = (uint)BinaryPrimitives.ReadUInt16LittleEndian(h) << 16 | BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(2));
            long itemLength = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(4));
            if (tag == SequenceDelimiter) break;
            if (tag != ItemTag) throw new InvalidDataException($"expected a sequence item at offset {r.Position - 8}, found {TagName(tag)}");
            var item = new DicomDataset();
            long itemEnd = itemLength == 0xFFFFFFFF ? long.MaxValue : r.Position + itemLength;
            while (r.Position < itemEnd)
            {
                if (itemEnd == long.MaxValue)
                {
                    var peek = r.Peek(4);
                    uint t = (uint)BinaryPrimitives.ReadUInt16LittleEndian(peek) << 16 | BinaryPrimitives.ReadUInt16LittleEndian(peek.AsSpan(2));
                    if (t == ItemDelimiter) { r.Bytes(8); break; }
                }
                var (el, _) = ReadElement(r, explicitVr, item, null);
                item.Elements[el.Tag] = el;
            }
            items.Add(item);
        }
        return items;
    }

    private static List<(long, int)[]> ReadFragments(Reader r)
    {
        var list = new List<(long, int)[]>();
        while (true)
        {
            var h = r.Bytes(8);
            uint tag = (uint)BinaryPrimitives.ReadUInt16LittleEndian(h) << 16 | BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(2));
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(4));
            if (tag == SequenceDelimiter) break;
            if (tag != ItemTag) throw new InvalidDataException($"expected a pixel data fragment at offset {r.Position - 8}, found {TagName(tag)}");
            if (len > int.MaxValue) throw new InvalidDataException($"fragment of {len} bytes is too large");
            list.Add([(r.Position, (int)len)]);
            r.Skip(len);
        }
        if (list.Count < 2) throw new InvalidDataException("encapsulated pixel data holds no frame");
        return list;
    }

    public static string TagName(uint tag) => $"({tag >> 16:X4},{tag & 0xFFFF:X4})";

    /// <summary>A bounds-checked reader over a seekable stream.</summary>
    private sealed class Reader(Stream s)
    {
        public long Position => s.Position;

        public byte[] Bytes(int count, bool allowShort = false)
        {
            if (count < 0) throw new InvalidDataException("negative length");
            if (!allowShort && s.Position + count > s.Length) throw new EndOfStreamException($"file truncated: needs {count} bytes at offset {s.Position}, file has {s.Length}");
            var buf = new byte[Math.Min(count, Math.Max(0, s.Length - s.Position))];
            s.ReadExactly(buf);
            return buf;
        }

        public byte[] Peek(int count)
        {
            long p = s.Position;
            var b = Bytes(count);
            s.Position = p;
            return b;
        }

        public byte[] At(long offset, int count)
        {
            long p = s.Position;
            s.Position = offset;
            var b = Bytes(count);
            s.Position = p;
            return b;
        }

        public void Skip(long count)
        {
            if (s.Position + count > s.Length) throw new EndOfStreamException($"file truncated: element of {count} bytes at offset {s.Position} runs past the end ({s.Length} bytes)");
            s.Position += count;
        }
    }
}
