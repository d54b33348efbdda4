using HistoPrognosis.Imaging;
using Microsoft.Win32.SafeHandles;

namespace HistoPrognosis.Slides;

/// <summary>
/// Checks, once per tile and before libvips decodes it, that a JPEG-compressed TIFF tile's data ends with the End Of
/// Image marker (FF D9, trailing padding allowed). libvips decodes a cut JPEG tile without an error — grey or black
/// blocks — so a truncated or zero-filled slide would otherwise be tiled as if it were intact. Damage inside a
/// complete stream is not seen here. Thread-safe.
/// </summary>
internal sealed class JpegTileCheck
{
    private const int JpegCompression = 7, TailBytes = 16;

    private readonly SafeFileHandle _file;
    private readonly TiffPage _page;
    private readonly long _across;
    private readonly int[] _verified; // 1 once a tile's data was found complete

    private JpegTileCheck(SafeFileHandle file, TiffPage page)
    {
        _file = file;
        _page = page;
        _across = (page.Width + page.TileWidth - 1) / page.TileWidth;
        _verified = new int[page.DataOffsets.Length];
    }

    /// <summary>The check for a page, or null when its tiles are not JPEG (other codecs report cut data themselves).</summary>
    public static JpegTileCheck? For(SafeFileHandle file, TiffPage page) =>
        page.Compression == JpegCompression && page.IsTiled ? new JpegTileCheck(file, page) : null;

    /// <summary>Checks every tile a region of the page's own pixels touches; an <see cref="InvalidDataException"/> names the first cut tile.</summary>
    public void Check(long x, long y, int width, int height)
    {
        long tw = _page.TileWidth, th = _page.TileHeight;
        for (long ty = y / th; ty <= (y + height - 1) / th; ty++)
        for (long tx = x / tw; tx <= (x + width - 1) / tw; tx++)
        {
            long t = ty * _across + tx;
            if (t < _verified.Length && Volatile.Read(ref _verified[t]) == 0)
            {
                CheckTile((int)t);
                Volatile.Write(ref _verified[t], 1);
            }
        }
    }

    private void CheckTile(int t)
    {
        long offset = _page.DataOffsets[t], count = _page.DataByteCounts[t];
        if (count == 0) return; // an absent tile (sparse file): libvips paints it, there is nothing to be cut
        var tail = new byte[(int)Math.Min(TailBytes, count)];
        int read = RandomAccess.Read(_file, tail, offset + count - tail.Length);
        if (read < tail.Length || !EndsWithEndOfImage(tail)) throw CutShort(_page.Index, t, offset, count);
    }

    /// <summary>True when JPEG data ends with the End Of Image marker, padding (00 or FF bytes) after it allowed.</summary>
    internal static bool EndsWithEndOfImage(ReadOnlySpan<byte> data)
    {
        var tail = data[Math.Max(0, data.Length - TailBytes)..];
        int end = tail.Length;
        while (end > 0 && tail[end - 1] is 0x00 or 0xFF) end--; // padding after the marker
        return end >= 2 && tail[end - 2] == 0xFF && tail[end - 1] == 0xD9;
    }

    internal static InvalidDataException CutShort(int page, long tile, long offset, long count) => new(
        $"TIFF page {page}, tile {tile}: its JPEG data ({count} bytes at offset {offset}) is cut short (no end-of-image marker); the file is truncated or damaged");
}
