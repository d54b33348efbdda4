using System.Globalization;
using HistoPrognosis.IO;

namespace HistoPrognosis.Reports.Html;

/// <summary>
/// <c>report.html</c>: one self-contained page of a run (inline CSS, plots and thumbnails as <c>data:</c> URIs, no
/// script and no URL), built from <see cref="ReportSections.Standard"/> or any list of sections.
/// </summary>
public static class HtmlReport
{
    public const string FileName = "report.html";

    private const string Css = """
        body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.4}
        h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
        table{border-collapse:collapse;margin:1em 0;font-size:.9em}caption{text-align:left;font-weight:bold;padding:.3em 0}
        th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f2f2f2}
        tbody tr:nth-child(even){background:#fafafa}.warnings li,p.warnings{color:#8a4b00}
        nav ul{columns:2}img{max-width:100%;height:auto}.thumbs{display:flex;flex-wrap:wrap;gap:1em}
        figure{margin:0}figcaption{font-size:.8em}.thumb{border:1px solid #ccc}
        """;

    /// <summary>Reads the run folder and writes its report (atomically) to <paramref name="outputPath"/> (default <c>RUN_DIR/report.html</c>).</summary>
    public static string Write(string runDirectory, string? outputPath = null)
    {
        var output = Path.GetFullPath(outputPath ?? Path.Combine(runDirectory, FileName));
        var run = RunReportContext.Load(runDirectory, Path.GetDirectoryName(output));
        var html = Build(run, ReportSections.Standard());
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        AtomicFile.WriteAllText(output, html);
        return output;
    }

    public static string Build(RunReportContext run, IReadOnlyList<IReportSection> sections)
    {
        var shown = sections.Where(s => s.AppliesTo(run)).ToList();
        var html = new HtmlWriter();
        html.Raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Raw($"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{HtmlWriter.Escape(run.Result.Title)}</title>\n")
            .Raw($"<style>\n{Css}</style>\n</head>\n<body>\n");
        html.Heading(1, run.Result.Title);
        html.Paragraph(string.Create(CultureInfo.InvariantCulture, $"HistoPrognosis run report of {run.RunDirectory}. Every figure is embedded; the numbers come from the run's results.json."));
        html.Raw("<nav><ul>\n");
        foreach (var s in shown) html.Raw($"<li><a href=\"#{HtmlWriter.Escape(s.Id)}\">{HtmlWriter.Escape(s.Title)}</a></li>\n");
        html.Raw("</ul></nav>\n");
        foreach (var s in shown)
        {
            html.Raw($"<section id=\"{HtmlWriter.Escape(s.Id)}\">\n").Heading(2, s.Title);
            s.Write(html, run);
            html.Raw("</section>\n");
        }
        return html.Raw("</body>\n</html>\n").ToString();
    }
}
