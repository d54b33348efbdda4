using System.Buffers.Binary;
using System.Text;
using HistoPrognosis.Slides;

namespace HistoPrognosis.Tests.Slides;

/// <summary>
/// Writes small DICOM Part 10 files for tests (explicit VR little endian, sequences of undefined length, native or
/// encapsulated pixel data): an independent encoder to exercise the reader on content with known geometry.
/// </summary>
public sealed class DicomWriter
{
    private readonly SortedDictionary<uint, byte[]> _elements = new();

    /// <summary>
    /// A one-frame 8-bit grey image of any SOP class carrying the total-pixel-matrix tags of a one-tile slide, so
    /// nothing but its SOP class tells it from one (a CT written like this used to be read as a slide).
    /// </summary>
    public static DicomWriter SingleImage(string sopClass, int size = 16) =>
        new DicomWriter()
            .Str(0x00080016, "UI", sopClass)
            .Str(0x0020000E, "UI", "1.2.826.0.1.99.77")
            .US(0x00280002, 1)
            .Str(0x00280004, "CS", "MONOCHROME2")
            .US(0x00280010, (ushort)size)
            .US(0x00280011, (ushort)size)
            .US(0x00280100, 8)
            .UL(0x00480006, (uint)size)
            .UL(0x00480007, (uint)size)
            .NativePixels(Enumerable.Range(0, size * size).Select(i => (byte)i).ToArray());

    public DicomWriter Str(uint tag, string vr, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value);
        if (bytes.Length % 2 == 1) bytes = [.. bytes, vr == "UI" ? (byte)0 : (byte)' '];
        _elements[tag] = Element(tag, vr, bytes);
        return this;
    }

    public DicomWriter US(uint tag, ushort value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        _elements[tag] = Element(tag, "US", b);
        return this;
    }

    public DicomWriter UL(uint tag, uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _elements[tag] = Element(tag, "UL", b);
        return this;
    }

    public DicomWriter SL(uint tag, int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        _elements[tag] = Element(tag, "SL", b);
        return this;
    }

    public DicomWriter Remove(uint tag)
    {
        _elements.Remove(tag);
        return this;
    }

    /// <summary>A sequence of undefined length whose items are the given writers' elements.</summary>
    public DicomWriter Sequence(uint tag, params DicomWriter[] items)
    {
        var ms = new MemoryStream();
        WriteTagHeader(ms, tag, "SQ", 0xFFFFFFFF);
        foreach (var item in items)
        {
            var body = item.Body();
            WriteRaw(ms, 0xFFFEE000, 0xFFFFFFFF);
            ms.Write(body);
            WriteRaw(ms, 0xFFFEE00D, 0);
        }
        WriteRaw(ms, 0xFFFEE0DD, 0);
        _elements[tag] = ms.ToArray();
        return this;
    }

    public DicomWriter NativePixels(byte[] pixels)
    {
        var data = pixels.Length % 2 == 1 ? [.. pixels, (byte)0] : pixels;
        _elements[0x7FE00010] = Element(0x7FE00010, "OB", data);
        return this;
    }

    /// <summary>Encapsulated frames; <paramref name="splitFragments"/> splits each frame in two fragments (then a basic offset table is written).</summary>
    public DicomWriter EncapsulatedPixels(IReadOnlyList<byte[]> frames, bool splitFragments = false)
    {
        var ms = new MemoryStream();
        WriteTagHeader(ms, 0x7FE00010, "OB", 0xFFFFFFFF);
        var fragments = new List<List<byte[]>>();
        foreach (var f in frames)
        {
            var even = f.Length % 2 == 1 ? [.. f, (byte)0] : f;
            if (splitFragments)
            {
                int half = even.Length / 2 / 2 * 2;
                fragments.Add([even[..half], even[half..]]);
            }
            else fragments.Add([even]);
        }
        if (splitFragments)
        {
            var bot = new byte[4 * frames.Count];
            uint offset = 0;
            for (int i = 0; i < frames.Count; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bot.AsSpan(4 * i), offset);
                offset += (uint)fragments[i].Sum(x => 8 + x.Length);
            }
            WriteRaw(ms, 0xFFFEE000, (uint)bot.Length);
            ms.Write(bot);
        }
        else WriteRaw(ms, 0xFFFEE000, 0);
        foreach (var frag in fragments.SelectMany(f => f))
        {
            WriteRaw(ms, 0xFFFEE000, (uint)frag.Length);
            ms.Write(frag);
        }
        WriteRaw(ms, 0xFFFEE0DD, 0);
        _elements[0x7FE00010] = ms.ToArray();
        return this;
    }

    public byte[] Body()
    {
        var ms = new MemoryStream();
        foreach (var e in _elements.Values) ms.Write(e);
        return ms.ToArray();
    }

    public void Save(string path, string transferSyntax, string sopClass = DicomSopClass.WholeSlide)
    {
        var meta = new DicomWriter()
            .Str(0x00020002, "UI", sopClass)
            .Str(0x00020003, "UI", "1.2.3.4.5")
            .Str(0x00020010, "UI", transferSyntax);
        var metaBody = meta.Body();
        using var fs = File.Create(path);
        fs.Write(new byte[128]);
        fs.Write("DICM"u8);
        var groupLength = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(groupLength, (uint)metaBody.Length);
        fs.Write(Element(0x00020000, "UL", groupLength));
        fs.Write(metaBody);
        fs.Write(Body());
    }

    private static byte[] Element(uint tag, string vr, byte[] value)
    {
        var ms = new MemoryStream();
        WriteTagHeader(ms, tag, vr, (uint)value.Length);
        ms.Write(value);
        return ms.ToArray();
    }

    private static void WriteTagHeader(Stream s, uint tag, string vr, uint length)
    {
        Span<byte> b = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)(tag >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], (ushort)tag);
        b[4] = (byte)vr[0];
        b[5] = (byte)vr[1];
        if (vr is "OB" or "OW" or "SQ" or "UN" or "UT")
        {
            b[6] = b[7] = 0;
            BinaryPrimitives.WriteUInt32LittleEndian(b[8..], length);
            s.Write(b[..12]);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b[6..], (ushort)length);
            s.Write(b[..8]);
        }
    }

    private static void WriteRaw(Stream s, uint tag, uint length)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)(tag >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], (ushort)tag);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], length);
        s.Write(b);
    }
}
