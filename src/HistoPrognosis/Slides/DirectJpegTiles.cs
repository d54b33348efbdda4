using HistoPrognosis.Imaging;
using Microsoft.Win32.SafeHandles;

namespace HistoPrognosis.Slides;

/// <summary>
/// Reads whole JPEG tiles of one TIFF page straight from the file and decodes them with libjpeg-turbo's TurboJPEG API:
/// the tile's bytes (TileOffsets/TileByteCounts) with the page's JPEGTables spliced in, one decode per tile, no
/// region pipeline. Used for a request made of whole tiles of the page's grid (e.g. 256 px tiles of a page tiled
/// 256, or an overview block of 2048 px); anything else, an absent (sparse) tile, or a stream whose size or colour space is not what the TIFF says,
/// is left to the slide's own backend (<see cref="TryRead"/> returns null).
/// <para>
/// Colour: as libtiff does, the TIFF's PhotometricInterpretation decides. YCbCr (6) is converted to RGB by libjpeg
/// (ISLOW IDCT, fancy upsampling: libjpeg's defaults, which libtiff, libvips and OpenSlide also use); RGB (2), as
/// Aperio stores it (no JFIF or Adobe marker, component ids 0,1,2 that libjpeg would take for YCbCr), gets an Adobe
/// APP14 marker with transform 0 inserted after SOI so libjpeg does no colour conversion.
/// </para>
/// Damaged tiles are errors (<see cref="InvalidDataException"/> naming the TIFF page and tile): a stream cut short (no
/// end-of-image marker, as <see cref="JpegTileCheck"/> reports it), not a JPEG, or one libjpeg warns about (corrupt
/// data) — never grey blocks. Thread-safe (a decompressor and a stream buffer per thread).
/// </summary>
internal sealed unsafe class DirectJpegTiles
{
    private const int JpegCompression = 7;
    private static readonly byte[] AdobeRgb = [0xFF, 0xEE, 0x00, 0x0E, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00];

    [ThreadStatic] private static byte[]? _stream;

    private readonly TurboJpegNative.Api _api;
    private readonly SafeFileHandle _file;
    private readonly TiffPage _page;
    private readonly long _across;
    private readonly byte[] _prefix; // what replaces a tile's SOI: SOI + tables (without their EOI) [+ Adobe marker]
    private readonly int _colorspace;

    private DirectJpegTiles(TurboJpegNative.Api api, SafeFileHandle file, TiffPage page)
    {
        _api = api;
        _file = file;
        _page = page;
        _across = (page.Width + page.TileWidth - 1) / page.TileWidth;
        bool rgb = page.Photometric == 2;
        _colorspace = rgb ? TurboJpegNative.ColorspaceRgb : TurboJpegNative.ColorspaceYCbCr;
        var tables = page.JpegTables;
        var head = tables is not null && tables.Length >= 4 && tables[0] == 0xFF && tables[1] == 0xD8
                   && tables[^2] == 0xFF && tables[^1] == 0xD9
            ? tables.AsSpan(0, tables.Length - 2) // SOI + DQT/DHT, without EOI
            : [0xFF, 0xD8];
        _prefix = rgb ? [.. head[..2], .. AdobeRgb, .. head[2..]] : head.ToArray();
    }

    /// <summary>
    /// The direct reader for a page, or null when it does not apply: not JPEG, not tiled, not 8-bit interleaved 3-sample
    /// RGB or YCbCr, a JPEGTables tag that is not a table stream, or no libturbojpeg on this machine.
    /// </summary>
    public static DirectJpegTiles? For(SafeFileHandle file, TiffPage page)
    {
        if (page.Compression != JpegCompression || !page.IsTiled || page.SamplesPerPixel != 3 || page.BitsPerSample != 8
            || page.PlanarConfiguration != 1 || page.Photometric is not (2 or 6) || page.TileWidth > 16384 || page.TileHeight > 16384)
            return null;
        if (page.JpegTables is { } t && !(t.Length >= 4 && t[0] == 0xFF && t[1] == 0xD8 && t[^2] == 0xFF && t[^1] == 0xD9))
            return null;
        return TurboJpegNative.TryGet() is { } api ? new DirectJpegTiles(api, file, page) : null;
    }

    /// <summary>
    /// Direct readers for the levels of a slide another backend opened from a TIFF whose levels are its tiled pages
    /// (OpenSlide's Aperio and generic-TIFF readers): each level is matched to the pyramid page of its exact size; a
    /// level without one, or a file that is not a TIFF, gets null. Null overall when no level qualifies (the file
    /// handle is then not kept).
    /// </summary>
    public static (SafeFileHandle File, DirectJpegTiles?[] Levels)? ForTiffLevels(string path, IReadOnlyList<SlideLevel> levels)
    {
        if (!TurboJpegNative.IsAvailable) return null;
        Span<byte> head = stackalloc byte[8];
        using (var f = File.OpenRead(path)) head = head[..f.Read(head)];
        if (!TiffDirectory.HasTiffMagic(head)) return null;
        IReadOnlyList<TiffPage> pyramid;
        try { pyramid = TiffDirectory.PyramidPages(TiffDirectory.Read(path)); }
        catch (UserInputException) { return null; } // OpenSlide read it, this reader cannot: OpenSlide reads it all
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            long length = RandomAccess.GetLength(file);
            var pages = levels.Select(l => pyramid.FirstOrDefault(p => p.Width == l.Width && p.Height == l.Height)).ToArray();
            foreach (var page in pages) page?.CheckDataInside(path, length); // damaged offsets: the backend reports them
            var readers = pages.Select(p => p is null ? null : For(file, p)).ToArray();
            if (readers.Any(r => r is not null)) return (file, readers);
        }
        catch (UserInputException) { } // a TIFF this reader cannot trust: the backend reads it all
        file.Dispose();
        return null;
    }

    /// <summary>
    /// The region (page pixel coordinates, inside the page) decoded from whole tiles, when it starts on a tile corner and
    /// is made of whole tiles — except where it ends at the page's right or bottom edge (a TIFF's edge tiles are stored
    /// full size). Null when the region is not such a block, or a tile in it is one to leave to the backend. The pixels
    /// go to <paramref name="into"/> when it is given and of the region's size.
    /// </summary>
    public RgbImage? TryRead(long x, long y, int width, int height, byte[]? into = null)
    {
        int tw = _page.TileWidth, th = _page.TileHeight;
        if (x % tw != 0 || y % th != 0 || x + width > _page.Width || y + height > _page.Height
            || (width % tw != 0 && x + width != _page.Width) || (height % th != 0 && y + height != _page.Height))
            return null;
        var rgb = into is not null && into.Length == (long)width * height * 3 ? into : GC.AllocateUninitializedArray<byte>(checked(width * height * 3));
        int pitch = width * 3;
        fixed (byte* dst = rgb)
        {
            for (int ry = 0; ry < height; ry += th)
            for (int rx = 0; rx < width; rx += tw)
            {
                long t = (y + ry) / th * _across + (x + rx) / tw;
                int cw = Math.Min(tw, width - rx), ch = Math.Min(th, height - ry);
                byte* at = dst + (long)ry * pitch + rx * 3;
                if (cw == tw && ch == th)
                {
                    if (!Decode(t, at, pitch)) return null;
                    continue;
                }
                // A tile cut by the page edge: decode it whole, keep the part inside.
                var whole = _edge ??= new byte[tw * th * 3];
                if (whole.Length < tw * th * 3) _edge = whole = new byte[tw * th * 3];
                fixed (byte* w = whole)
                {
                    if (!Decode(t, w, tw * 3)) return null;
                    for (int row = 0; row < ch; row++)
                        Buffer.MemoryCopy(w + (long)row * tw * 3, at + (long)row * pitch, cw * 3, cw * 3);
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    [ThreadStatic] private static byte[]? _edge;

    /// <summary>Decodes tile <paramref name="t"/> (full size) to RGB at <paramref name="dst"/>; false: leave it to the backend.</summary>
    private bool Decode(long t, byte* dst, int pitch)
    {
        int tw = _page.TileWidth, th = _page.TileHeight;
        if (t >= _page.DataOffsets.Length) return false;
        long offset = _page.DataOffsets[t], count = _page.DataByteCounts[t];
        if (count == 0) return false; // absent tile: the backend paints it
        int pre = _prefix.Length - 2, total = checked((int)(pre + count));
        var stream = _stream;
        if (stream is null || stream.Length < total) _stream = stream = new byte[Math.Max(total, 256 << 10)];
        int read = 0;
        while (read < count)
        {
            int n = RandomAccess.Read(_file, stream.AsSpan(pre + read, (int)count - read), offset + read);
            if (n == 0) break;
            read += n;
        }
        if (read < count || count < 4 || stream[pre] != 0xFF || stream[pre + 1] != 0xD8)
            throw new InvalidDataException($"TIFF page {_page.Index}, tile {t}: its data ({count} bytes at offset {offset}) is not a JPEG stream (no start-of-image marker); the file is damaged");
        if (!JpegTileCheck.EndsWithEndOfImage(stream.AsSpan(pre, (int)count)))
            throw JpegTileCheck.CutShort(_page.Index, t, offset, count);
        _prefix.CopyTo(stream, 0); // its last two bytes overwrite the tile's own SOI

        var handle = TurboJpegNative.ThreadHandle(_api);
        fixed (byte* src = stream)
        {
            int w, h, subsampling, colorspace;
            if (_api.DecompressHeader3(handle, src, (nuint)total, &w, &h, &subsampling, &colorspace) != 0)
                throw Corrupt(t, offset, count, TurboJpegNative.Error(_api, handle));
            if (w != tw || h != th || colorspace != _colorspace) return false;
            if (_api.Decompress2(handle, src, (nuint)total, dst, tw, pitch, th, TurboJpegNative.PixelFormatRgb, TurboJpegNative.FlagStopOnWarning) != 0)
                throw Corrupt(t, offset, count, TurboJpegNative.Error(_api, handle));
        }
        return true;
    }

    private InvalidDataException Corrupt(long t, long offset, long count, string why) =>
        new($"TIFF page {_page.Index}, tile {t}: its JPEG data ({count} bytes at offset {offset}) is corrupt (libjpeg-turbo: {why}); the file is damaged");
}
