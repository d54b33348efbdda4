using HistoPrognosis.Imaging;

namespace HistoPrognosis.Slides;

/// <summary>How to open a slide.</summary>
public sealed record SlideOpenOptions
{
    /// <summary>Force a backend; <see cref="SlideBackend.Auto"/> chooses by content.</summary>
    public SlideBackend Backend { get; init; } = SlideBackend.Auto;

    /// <summary>Level-0 µm/px to use instead of (or where the file lacks) its own, e.g. from <c>--slide-mpp</c>.</summary>
    public double? MppOverride { get; init; }

    /// <summary>
    /// Decode reads made of whole JPEG tiles of a TIFF level straight from the file with libjpeg-turbo (the default,
    /// for the libvips and the OpenSlide backend; see <see cref="VipsSlide.Open"/>). Off: every read goes through the
    /// backend's own decoder (the reference the direct path is tested against).
    /// </summary>
    public bool DirectJpegTiles { get; init; } = true;
}

/// <summary>
/// Opens a slide with the backend its CONTENT calls for (the file name's extension is never trusted):
/// DICOM Part 10 → <see cref="DicomWsiSlide"/>; TIFF whose vendor OpenSlide recognises (Aperio, Hamamatsu, Leica,
/// Philips, Ventana, ...) → <see cref="OpenSlideSlide"/>; generic pyramidal TIFF in a compression libvips decodes →
/// <see cref="VipsSlide"/>; other formats OpenSlide detects (MIRAX, VMS, ...) → OpenSlide; any other image libvips
/// reads (PNG, JPEG) → a one-level <see cref="ImageSlide"/>. Without OpenSlide installed, TIFF slides libvips can decode
/// still open through libvips.
/// </summary>
public static class SlideFactory
{
    public static ISlide Open(string path, SlideOpenOptions? options = null)
    {
        options ??= new SlideOpenOptions();
        if (options.MppOverride is { } m && !(m > 0 && double.IsFinite(m)))
            throw new UserInputException($"{path}: µm/px override {m} must be a positive number");
        var slide = OpenRaw(path, options.Backend, options.DirectJpegTiles);
        if (options.MppOverride is { } mpp) ((SlideBase)slide).MppOverride = mpp;
        return slide;
    }

    /// <summary>The backend Auto would choose for a file, without opening it fully.</summary>
    public static SlideBackend Detect(string path)
    {
        if (Directory.Exists(path)) return SlideBackend.Dicom;
        var head = Head(path);
        if (DicomFile.HasDicomMagic(head)) return SlideBackend.Dicom;
        if (TiffDirectory.HasTiffMagic(head))
        {
            var vendor = OpenSlideNative.DetectVendor(path);
            if (vendor is not null && vendor != "generic-tiff") return SlideBackend.OpenSlide;
            var pyramid = TiffDirectory.PyramidPages(TiffDirectory.Read(path));
            if (pyramid.All(p => TiffDirectory.VipsCompressions.Contains(p.Compression))) return SlideBackend.Vips;
            if (OpenSlideNative.IsAvailable) return SlideBackend.OpenSlide;
            OpenSlideNative.Require(); // throws: says which package to install
        }
        if (OpenSlideNative.DetectVendor(path) is not null) return SlideBackend.OpenSlide;
        return SlideBackend.Vips;
    }

    private static ISlide OpenRaw(string path, SlideBackend backend, bool directJpeg)
    {
        if (Directory.Exists(path))
        {
            if (backend is not (SlideBackend.Auto or SlideBackend.Dicom))
                throw new UserInputException($"{path}: is a folder; only the DICOM backend reads a folder of instances");
            return DicomWsiSlide.Open(path);
        }
        if (backend == SlideBackend.Auto) backend = Detect(path);
        return backend switch
        {
            SlideBackend.Dicom => DicomWsiSlide.Open(path),
            SlideBackend.OpenSlide => OpenSlideSlide.Open(path, directJpeg),
            SlideBackend.Vips => VipsSlide.Open(path, directJpeg),
            _ => throw new ArgumentOutOfRangeException(nameof(backend)),
        };
    }

    private static byte[] Head(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"slide file not found: {path}");
        using var f = File.OpenRead(path);
        if (f.Length == 0) throw new UserInputException($"{path}: empty file (0 bytes)");
        var head = new byte[(int)Math.Min(132, f.Length)];
        f.ReadExactly(head);
        return head;
    }
}
