namespace HistoPrognosis.Tests.Slides;

/// <summary>In-memory edits of the first directory of a little-endian classic TIFF, to make damaged copies of real slides.</summary>
public static class TiffBytes
{
    public const ushort Compression = 259, TileOffsets = 324, TileByteCounts = 325;

    /// <summary>Where the value of a tag of the first directory lies (inline or its array), its type and count.</summary>
    public static (int Type, int Count, int Position) Entry(byte[] tiff, ushort tag)
    {
        Assert.Equal("II*\0", System.Text.Encoding.ASCII.GetString(tiff, 0, 4));
        int ifd = BitConverter.ToInt32(tiff, 4);
        int entries = BitConverter.ToUInt16(tiff, ifd);
        for (int i = 0; i < entries; i++)
        {
            int e = ifd + 2 + 12 * i;
            if (BitConverter.ToUInt16(tiff, e) != tag) continue;
            int type = BitConverter.ToUInt16(tiff, e + 2), count = BitConverter.ToInt32(tiff, e + 4);
            int size = count * (type == 3 ? 2 : 4);
            return (type, count, size <= 4 ? e + 8 : BitConverter.ToInt32(tiff, e + 8));
        }
        Assert.Fail($"no tag {tag}");
        return default;
    }

    public static void SetShort(byte[] tiff, ushort tag, ushort value)
    {
        var (type, _, position) = Entry(tiff, tag);
        Assert.Equal(3, type);
        BitConverter.GetBytes(value).CopyTo(tiff, position);
    }

    /// <summary>The values of a LONG array tag (tile offsets, byte counts).</summary>
    public static uint[] Longs(byte[] tiff, ushort tag)
    {
        var (type, count, position) = Entry(tiff, tag);
        Assert.Equal(4, type);
        return Enumerable.Range(0, count).Select(i => BitConverter.ToUInt32(tiff, position + 4 * i)).ToArray();
    }

    public static void SetLong(byte[] tiff, ushort tag, int index, uint value)
    {
        var (type, _, position) = Entry(tiff, tag);
        Assert.Equal(4, type);
        BitConverter.GetBytes(value).CopyTo(tiff, position + 4 * index);
    }
}
