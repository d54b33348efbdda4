using SkiaSharp;

namespace HistoPrognosis.Reports.Html;

/// <summary>
/// Extension point for the heatmap renderer: every <c>heatmaps/&lt;slide&gt;/*.png</c> of the run as an embedded
/// thumbnail that links to the full image beside the report (the full images stay files: embedding them would make
/// the page huge). Renders nothing when the run has no heatmaps.
/// </summary>
public sealed class HeatmapSection : IReportSection
{
    public const string Folder = "heatmaps";
    private const int ThumbnailSize = 200;

    public string Id => "heatmaps";
    public string Title => "Attention heatmaps";
    public bool AppliesTo(RunReportContext run) => Images(run).Any();

    public static IEnumerable<string> Images(RunReportContext run)
    {
        var dir = Path.Combine(run.RunDirectory, Folder);
        return Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [];
    }

    public void Write(HtmlWriter html, RunReportContext run)
    {
        html.Raw("<div class=\"thumbs\">\n");
        foreach (var path in Images(run))
        {
            // A relative link, each segment percent-encoded: slide names may hold spaces or '#'.
            var relative = string.Join('/', Path.GetRelativePath(run.ReportDirectory, path).Split(Path.DirectorySeparatorChar).Select(Uri.EscapeDataString));
            var name = Path.GetRelativePath(Path.Combine(run.RunDirectory, Folder), path);
            var thumbnail = Thumbnail(path);
            if (thumbnail is null) html.Element("p", $"{name}: not a readable PNG", "warnings");
            else html.Raw("<figure>").LinkedThumbnail(thumbnail, name, relative).Element("figcaption", name).Raw("</figure>\n");
        }
        html.Raw("</div>\n");
    }

    /// <summary>The image scaled to fit <see cref="ThumbnailSize"/> px, as PNG; null when it cannot be decoded.</summary>
    private static byte[]? Thumbnail(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        if (bitmap is null) return null;
        double scale = Math.Min(1, (double)ThumbnailSize / Math.Max(bitmap.Width, bitmap.Height));
        using var small = bitmap.Resize(new SKImageInfo(Math.Max(1, (int)(bitmap.Width * scale)), Math.Max(1, (int)(bitmap.Height * scale))), new SKSamplingOptions(SKFilterMode.Linear));
        using var image = SKImage.FromBitmap(small);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
