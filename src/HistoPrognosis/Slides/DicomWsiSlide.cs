using HistoPrognosis.Imaging;
using Microsoft.Win32.SafeHandles;

namespace HistoPrognosis.Slides;

/// <summary>
/// A DICOM whole-slide image (VL Whole Slide Microscopy Image Storage): each instance of one series holding a tiled
/// total pixel matrix is a level. Frames (encapsulated JPEG, or native pixels) are read on demand from the file and
/// decoded with libvips; decoded frames are kept in a bounded cache.
/// </summary>
public sealed class DicomWsiSlide : SlideBase
{
    private static readonly HashSet<string> JpegSyntaxes = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"];
    private static readonly HashSet<string> NativeSyntaxes = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"];

    private readonly Instance[] _instances;
    private readonly SlideLevel[] _levels;
    private readonly TileCache _cache = new(256L << 20);

    // Tiles of one level: 16.7 M is a million pixels square in 256-px tiles, far beyond any scanner; the tile table of a
    // header claiming more (4 bytes a tile, allocated before any frame is read) is refused rather than allocated.
    private const long MaxTiles = 1 << 24;

    private sealed class Instance(DicomFile file, SafeFileHandle handle, int tileW, int tileH, int tilesAcross, int tilesDown, int[] frameOfTile, int samples)
    {
        public DicomFile File { get; } = file;
        public SafeFileHandle Handle { get; } = handle;
        public int TileWidth { get; } = tileW;
        public int TileHeight { get; } = tileH;
        public int TilesAcross { get; } = tilesAcross;
        public int TilesDown { get; } = tilesDown;
        public int[] FrameOfTile { get; } = frameOfTile; // -1: no frame (sparse tiling), painted white
        public int Samples { get; } = samples;
        public long Width => File.Dataset.Integer(0x00480006)!.Value;
        public long Height => File.Dataset.Integer(0x00480007)!.Value;
    }

    private DicomWsiSlide(string path, Instance[] instances, SlideLevel[] levels, string vendor, double? mppX, double? mppY, double? power) : base(path)
    {
        _instances = instances;
        _levels = levels;
        Vendor = vendor;
        NativeMppX = mppX;
        NativeMppY = mppY;
        ObjectivePower = power;
    }

    public override SlideBackend Backend => SlideBackend.Dicom;
    public override string Vendor { get; }
    public override IReadOnlyList<SlideLevel> Levels => _levels;
    public override double? ObjectivePower { get; }
    protected override double? NativeMppX { get; }
    protected override double? NativeMppY { get; }

    /// <summary>The instance files that became levels, level 0 first.</summary>
    public IReadOnlyList<string> InstancePaths => _instances.Select(i => i.File.Path).ToArray();

    /// <summary>
    /// Opens a DICOM WSI from one instance file (its series siblings in the same folder join as levels) or from a
    /// folder holding the instances. Only VL Whole Slide Microscopy objects are read: a named file of another SOP class
    /// (a CT, a secondary capture, ...) is refused naming its class; other objects in a folder (annotations,
    /// reports) are passed over.
    /// </summary>
    public static DicomWsiSlide Open(string path)
    {
        List<DicomFile> files;
        if (Directory.Exists(path))
        {
            var all = Directory.EnumerateFiles(path).Where(IsDicom).Order(StringComparer.Ordinal).Select(DicomFile.Read).ToList();
            if (all.Count == 0) throw new UserInputException($"{path}: the folder holds no DICOM file");
            files = all.Where(f => DicomSopClass.NotWholeSlide(f) is null).ToList();
            if (files.Count == 0)
                throw new UserInputException($"{path}: the folder holds no whole-slide DICOM instance ({all[0].Path}: {DicomSopClass.NotWholeSlide(all[0])})");
        }
        else
        {
            var first = DicomFile.Read(path);
            if (DicomSopClass.NotWholeSlide(first) is { } why) throw new UserInputException($"{path}: {why}");
            files = [first];
            var series = first.Dataset.String(0x0020000E);
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
            if (series is not null)
                foreach (var other in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                {
                    if (System.IO.Path.GetFullPath(other) == System.IO.Path.GetFullPath(path) || !IsDicom(other)) continue;
                    DicomFile sibling;
                    try { sibling = DicomFile.Read(other); }
                    catch (UserInputException) { continue; } // a broken unrelated file in the folder does not stop this slide
                    if (sibling.Dataset.String(0x0020000E) == series && DicomSopClass.NotWholeSlide(sibling) is null) files.Add(sibling);
                }
        }
        // The file that was named (or, for a folder, every file) must be a valid level; siblings found next to a named
        // file join only when valid, so one broken instance in a folder does not hide a good slide.
        var named = Directory.Exists(path) ? files : files.Take(1).ToList();
        if (named.Any(f => !IsVolume(f.Dataset)) && !Directory.Exists(path))
            throw new UserInputException($"{path}: not a whole-slide pyramid level (a label or overview image, or no pixel data)");
        var volume = files.Where(f => IsVolume(f.Dataset)).ToList();
        if (volume.Count == 0)
            throw new UserInputException($"{path}: no whole-slide pyramid level found (instances are label/overview images or not tiled)");
        var seriesUid = volume[0].Dataset.String(0x0020000E);
        if (Directory.Exists(path) && volume.Any(v => v.Dataset.String(0x0020000E) != seriesUid))
            throw new UserInputException($"{path}: the folder holds more than one DICOM series; pass one instance file instead");
        var handles = new List<SafeFileHandle>();
        try
        {
            var described = new List<Instance>();
            foreach (var f in volume)
            {
                var handle = File.OpenHandle(f.Path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
                try
                {
                    var inst = Describe(f, handle);
                    handles.Add(inst.Handle);
                    described.Add(inst);
                }
                catch (UserInputException) when (!named.Contains(f))
                {
                    // an invalid sibling is skipped (Describe disposed its handle)
                }
            }
            // One instance per level size, largest first.
            var instances = described.GroupBy(i => (i.Width, i.Height)).Select(g => g.First()).OrderByDescending(i => i.Width).ToArray();
            double w0 = instances[0].Width, h0 = instances[0].Height;
            var levels = instances.Select((i, n) => new SlideLevel(i.Width, i.Height, n == 0 ? 1.0 : (w0 / i.Width + h0 / i.Height) / 2)).ToArray();
            var ds = instances[0].File.Dataset;
            var (mppX, mppY) = PixelSpacing(ds);
            double? power = null;
            foreach (var op in ds.Sequence(0x00480105))
                power ??= op.Decimal(0x00480112) is > 0 and var p ? p : null;
            var vendor = ds.String(0x00080070) is { Length: > 0 } m ? m : "dicom";
            return new DicomWsiSlide(instances[0].File.Path, instances, levels, vendor, mppX, mppY, power);
        }
        catch
        {
            foreach (var h in handles) h.Dispose();
            throw;
        }
    }

    public static bool IsDicom(string file)
    {
        try
        {
            using var f = File.OpenRead(file);
            Span<byte> head = stackalloc byte[132];
            return f.Read(head) == 132 && DicomFile.HasDicomMagic(head);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static bool IsVolume(DicomDataset ds)
    {
        var type = ds.String(0x00080008) ?? "";
        if (type.Contains("LABEL", StringComparison.Ordinal) || type.Contains("OVERVIEW", StringComparison.Ordinal)) return false;
        return ds.Contains(DicomFile.PixelDataTag);
    }

    /// <summary>µm/px from PixelSpacing (shared functional groups, else top level); else from the imaged volume size when x and y agree.</summary>
    private static (double?, double?) PixelSpacing(DicomDataset ds)
    {
        foreach (var group in ds.Sequence(0x52009229).Concat([ds]))
        {
            foreach (var measures in group.Sequence(0x00289110).Concat([group]))
            {
                // PixelSpacing is "row spacing \ column spacing" in mm: row spacing is the vertical (y) step.
                if (measures.Decimal(0x00280030, 0) is > 0 and var rowMm && measures.Decimal(0x00280030, 1) is > 0 and var colMm)
                    return (colMm * 1000.0, rowMm * 1000.0);
            }
        }
        if (ds.Decimal(0x00480001) is > 0 and var wMm && ds.Decimal(0x00480002) is > 0 and var hMm
            && ds.Integer(0x00480006) is > 0 and var cols && ds.Integer(0x00480007) is > 0 and var rows)
        {
            double x = wMm * 1000.0 / cols, y = hMm * 1000.0 / rows;
            if (Math.Abs(x - y) / Math.Max(x, y) < 0.01) return (x, y); // square pixels: the volume size is consistent
        }
        return (null, null);
    }

    private static long RequireInteger(DicomFile f, uint tag, string name) =>
        f.Dataset.Integer(tag) is { } v && v > 0 ? v : throw new UserInputException($"{f.Path}: missing required DICOM tag {name} {DicomFile.TagName(tag)}");

    private static Instance Describe(DicomFile f, SafeFileHandle handle)
    {
        try
        {
            var ds = f.Dataset;
            long total = RequireInteger(f, 0x00480006, "TotalPixelMatrixColumns"), totalRows = RequireInteger(f, 0x00480007, "TotalPixelMatrixRows");
            int tileW = (int)RequireInteger(f, 0x00280011, "Columns"), tileH = (int)RequireInteger(f, 0x00280010, "Rows");
            int samples = (int)(ds.Integer(0x00280002) ?? 1);
            if (samples is not (1 or 3)) throw new UserInputException($"{f.Path}: SamplesPerPixel {samples} is not supported (1 or 3)");
            if ((ds.Integer(0x00280100) ?? 8) != 8) throw new UserInputException($"{f.Path}: BitsAllocated {ds.Integer(0x00280100)} is not supported (8)");
            bool encapsulated = f.EncapsulatedFrames is not null;
            if (encapsulated && !JpegSyntaxes.Contains(f.TransferSyntax))
                throw new UserInputException($"{f.Path}: transfer syntax {f.TransferSyntax}{SyntaxName(f.TransferSyntax)} is not supported (JPEG baseline/extended/lossless or uncompressed)");
            if (!encapsulated && !NativeSyntaxes.Contains(f.TransferSyntax))
                throw new UserInputException($"{f.Path}: transfer syntax {f.TransferSyntax} is not supported");
            if (!encapsulated && f.NativePixels is null) throw new UserInputException($"{f.Path}: missing Pixel Data (7FE0,0010)");
            int frames = (int)(ds.Integer(0x00280008) ?? 1);
            int available = encapsulated ? f.EncapsulatedFrames!.Count : (int)(f.NativePixels!.Value.Length / ((long)tileW * tileH * samples));
            if (available < frames)
                throw new UserInputException($"{f.Path}: NumberOfFrames is {frames} but the pixel data holds {available} frame(s) (truncated?)");
            long tilesAcross = (total + tileW - 1) / tileW, tilesDown = (totalRows + tileH - 1) / tileH;
            if ((double)tilesAcross * tilesDown > MaxTiles) // as doubles: 2^32 columns times 2^32 rows overflows a long
                throw new UserInputException($"{f.Path}: a {total}x{totalRows} pixel matrix in {tileW}x{tileH} tiles is {(double)tilesAcross * tilesDown:G3} tiles, more than the {MaxTiles:N0} a level may have (damaged header?)");
            int across = (int)tilesAcross, down = (int)tilesDown;
            var frameOfTile = new int[across * down];
            var perFrame = ds.Sequence(0x52009230);
            bool sparse = ds.String(0x00209311) == "TILED_SPARSE" || (perFrame.Count == frames && perFrame.Any(p => p.Sequence(0x0048021A).Count > 0));
            if (sparse)
            {
                Array.Fill(frameOfTile, -1);
                if (perFrame.Count < frames) throw new UserInputException($"{f.Path}: TILED_SPARSE without a per-frame position for every frame (5200,9230)");
                for (int i = 0; i < frames; i++)
                {
                    var pos = perFrame[i].Sequence(0x0048021A).FirstOrDefault()
                              ?? throw new UserInputException($"{f.Path}: frame {i + 1} has no PlanePositionSlideSequence (0048,021A)");
                    long col = pos.Integer(0x0048021E) ?? throw new UserInputException($"{f.Path}: frame {i + 1} lacks ColumnPositionInTotalImagePixelMatrix (0048,021E)");
                    long row = pos.Integer(0x0048021F) ?? throw new UserInputException($"{f.Path}: frame {i + 1} lacks RowPositionInTotalImagePixelMatrix (0048,021F)");
                    long tx = (col - 1) / tileW, ty = (row - 1) / tileH;
                    if ((col - 1) % tileW != 0 || (row - 1) % tileH != 0 || tx < 0 || ty < 0 || tx >= across || ty >= down)
                        throw new UserInputException($"{f.Path}: frame {i + 1} position ({col}, {row}) is off the {tileW}x{tileH} tile grid");
                    int t = (int)(ty * across + tx);
                    if (frameOfTile[t] < 0) frameOfTile[t] = i; // further focal planes / optical paths of the same tile are skipped
                }
            }
            else
            {
                if (frames < frameOfTile.Length)
                    throw new UserInputException($"{f.Path}: TILED_FULL needs {frameOfTile.Length} frames for {total}x{totalRows} in {tileW}x{tileH} tiles, found {frames}");
                for (int i = 0; i < frameOfTile.Length; i++) frameOfTile[i] = i;
            }
            return new Instance(f, handle, tileW, tileH, across, down, frameOfTile, samples);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static string SyntaxName(string uid) => uid switch
    {
        "1.2.840.10008.1.2.4.90" or "1.2.840.10008.1.2.4.91" => " (JPEG 2000)",
        "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81" => " (JPEG-LS)",
        "1.2.840.10008.1.2.4.201" or "1.2.840.10008.1.2.4.202" or "1.2.840.10008.1.2.4.203" => " (HTJ2K)",
        _ => "",
    };

    /// <summary>The encoded bytes of one frame (0-based) of a level, concatenated over its fragments.</summary>
    public byte[] ReadFrameBytes(int level, int frame)
    {
        var inst = _instances[level];
        if (inst.File.EncapsulatedFrames is { } frames)
        {
            var parts = frames[frame];
            var buf = new byte[parts.Sum(p => p.Length)];
            int o = 0;
            foreach (var (offset, length) in parts)
            {
                ReadExactly(inst, frame, buf.AsSpan(o, length), offset);
                o += length;
            }
            return buf;
        }
        long size = (long)inst.TileWidth * inst.TileHeight * inst.Samples;
        var raw = new byte[size];
        ReadExactly(inst, frame, raw, inst.File.NativePixels!.Value.Offset + frame * size);
        return raw;
    }

    // The ranges were inside the file when it was parsed; a file cut since then must not read as zeros.
    private void ReadExactly(Instance inst, int frame, Span<byte> buffer, long offset)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = RandomAccess.Read(inst.Handle, buffer[read..], offset + read);
            if (n == 0)
                throw new InvalidDataException($"{FrameName(inst, frame)}: the file ends at byte {offset + read}, inside the frame's data (truncated?)");
            read += n;
        }
    }

    // "frame 3", with the instance file when the level is not in the file that was opened.
    private string FrameName(Instance inst, int frame) => inst.File.Path == Path ? $"frame {frame + 1}" : $"{inst.File.Path} frame {frame + 1}";

    private RgbImage DecodeFrame(int level, int frame)
    {
        var inst = _instances[level];
        var bytes = ReadFrameBytes(level, frame);
        RgbImage image;
        if (inst.File.EncapsulatedFrames is not null)
            image = ImageCodec.Decode(bytes, FrameName(inst, frame));
        else if (inst.Samples == 3)
            image = new RgbImage(inst.TileWidth, inst.TileHeight, bytes);
        else
        {
            var rgb = new byte[bytes.Length * 3];
            for (int i = 0; i < bytes.Length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = bytes[i];
            image = new RgbImage(inst.TileWidth, inst.TileHeight, rgb);
        }
        if (image.Width < inst.TileWidth || image.Height < inst.TileHeight)
            throw new InvalidDataException($"{FrameName(inst, frame)} decodes to {image.Width}x{image.Height}, expected {inst.TileWidth}x{inst.TileHeight}");
        return image;
    }

    protected override RgbImage ReadLevelRegion(int level, long x, long y, int width, int height)
    {
        var inst = _instances[level];
        var output = new byte[width * height * 3];
        int tw = inst.TileWidth, th = inst.TileHeight;
        for (long ty = y / th; ty <= (y + height - 1) / th; ty++)
        for (long tx = x / tw; tx <= (x + width - 1) / tw; tx++)
        {
            long x0 = Math.Max(x, tx * tw), x1 = Math.Min(x + width, (tx + 1) * tw);
            long y0 = Math.Max(y, ty * th), y1 = Math.Min(y + height, (ty + 1) * th);
            int frame = inst.FrameOfTile[ty * inst.TilesAcross + tx];
            int rowBytes = (int)(x1 - x0) * 3;
            if (frame < 0)
            {
                for (long yy = y0; yy < y1; yy++) output.AsSpan((int)(((yy - y) * width + (x0 - x)) * 3), rowBytes).Fill(255);
                continue;
            }
            var tile = _cache.GetOrAdd((level, frame), () => DecodeFrame(level, frame));
            for (long yy = y0; yy < y1; yy++)
                Buffer.BlockCopy(tile.Pixels, tile.Offset((int)(x0 - tx * tw), (int)(yy - ty * th)), output,
                    (int)(((yy - y) * width + (x0 - x)) * 3), rowBytes);
        }
        return new RgbImage(width, height, output);
    }

    public override void Dispose()
    {
        foreach (var i in _instances) i.Handle.Dispose();
    }
}
