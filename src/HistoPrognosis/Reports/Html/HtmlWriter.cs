using System.Net;
using System.Text;

namespace HistoPrognosis.Reports.Html;

/// <summary>
/// Appends escaped HTML: every text goes through <see cref="Escape"/> and every image is a <c>data:</c> URI, so the
/// page is self-contained and nothing a run wrote (a patient id, a path) can become markup.
/// </summary>
public sealed class HtmlWriter
{
    private readonly StringBuilder _html = new();

    public static string Escape(string? text) => WebUtility.HtmlEncode(text ?? "");

    public HtmlWriter Raw(string html) { _html.Append(html); return this; }

    public HtmlWriter Element(string tag, string text, string? cssClass = null) =>
        Raw($"<{tag}{(cssClass is null ? "" : $" class=\"{Escape(cssClass)}\"")}>{Escape(text)}</{tag}>\n");

    public HtmlWriter Heading(int level, string text, string? id = null) =>
        Raw($"<h{level}{(id is null ? "" : $" id=\"{Escape(id)}\"")}>{Escape(text)}</h{level}>\n");

    public HtmlWriter Paragraph(string text) => Element("p", text);

    public HtmlWriter List(IEnumerable<string> items, string? cssClass = null)
    {
        Raw(cssClass is null ? "<ul>\n" : $"<ul class=\"{Escape(cssClass)}\">\n");
        foreach (var item in items) Element("li", item);
        return Raw("</ul>\n");
    }

    /// <param name="id">the table's id, which the browser test and a reader's links find it by</param>
    public HtmlWriter Table(string id, string caption, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        Raw($"<table id=\"{Escape(id)}\">\n<caption>{Escape(caption)}</caption>\n<thead><tr>");
        foreach (var h in headers) Raw($"<th>{Escape(h)}</th>");
        Raw("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            Raw("<tr>");
            foreach (var cell in row) Raw($"<td>{Escape(cell)}</td>");
            Raw("</tr>\n");
        }
        return Raw("</tbody>\n</table>\n");
    }

    public HtmlWriter Image(byte[] png, string alt, int width, int height) =>
        Raw($"<img src=\"{DataUri(png, "image/png")}\" alt=\"{Escape(alt)}\" width=\"{width}\" height=\"{height}\">\n");

    /// <summary>A thumbnail that links to the full image at <paramref name="relativeHref"/> (a path beside the report, never a URL).</summary>
    public HtmlWriter LinkedThumbnail(byte[] png, string alt, string relativeHref) =>
        Raw($"<a href=\"{Escape(relativeHref)}\"><img src=\"{DataUri(png, "image/png")}\" alt=\"{Escape(alt)}\" class=\"thumb\"></a>\n");

    public static string DataUri(byte[] bytes, string mediaType) => $"data:{mediaType};base64,{Convert.ToBase64String(bytes)}";

    public override string ToString() => _html.ToString();
}
