using System.Globalization;
using System.Net;
using System.Text;

namespace HistoPrognosis.Reports;

/// <summary>One line of a chart: points with an optional interval (drawn as error bars).</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y, double Low, double High)> Points);

/// <summary>
/// A small dependency-free SVG line chart (optionally log-scaled x) for learning curves and Kaplan–Meier-like
/// plots in reports; opens in any browser and embeds in Markdown.
/// </summary>
public static class LineChartSvg
{
    private static readonly string[] Palette = ["#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6c4f9c"];

    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool logX = false,
        double? yMin = null, double? yMax = null, bool steps = false)
    {
        const int plotWidth = 480, height = 440, left = 70, top = 40, bottom = 60;
        // The legend sits right of the plot: wide enough for its longest name (about 7 px a character at 12 px).
        int right = Math.Max(170, 45 + 7 * series.Select(x => x.Name.Length).DefaultIfEmpty(0).Max());
        int width = left + plotWidth + right;
        var inv = CultureInfo.InvariantCulture;
        var all = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Y)).ToList();
        if (all.Count == 0) all = [(1, 0, 0, 1)];
        double Tx(double x) => logX ? Math.Log10(Math.Max(x, 1e-12)) : x;
        double x0 = all.Min(p => Tx(p.X)), x1 = all.Max(p => Tx(p.X));
        if (x1 - x0 < 1e-12) { x0 -= 1; x1 += 1; }
        double y0 = yMin ?? all.Min(p => double.IsFinite(p.Low) ? p.Low : p.Y), y1 = yMax ?? all.Max(p => double.IsFinite(p.High) ? p.High : p.Y);
        if (y1 - y0 < 1e-12) { y0 -= 0.5; y1 += 0.5; }
        double Px(double x) => left + (Tx(x) - x0) / (x1 - x0) * (width - left - right);
        double Py(double y) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);

        var svg = new StringBuilder();
        svg.AppendLine(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        svg.AppendLine(inv, $"<text x=\"{width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>");
        // Axes and ticks.
        svg.AppendLine(inv, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"black\"/>");
        svg.AppendLine(inv, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"black\"/>");
        var xTicks = all.Select(p => p.X).Distinct().OrderBy(x => x).ToList();
        if (xTicks.Count > 12 && logX) xTicks = Enumerable.Range(0, 6).Select(i => Math.Pow(10, x0 + i * (x1 - x0) / 5)).ToList();
        else if (!logX) xTicks = NiceTicks(x0, x1);
        foreach (var x in xTicks)
            svg.AppendLine(inv, $"<text x=\"{Px(x):F1}\" y=\"{height - bottom + 18}\" text-anchor=\"middle\">{x:G4}</text>");
        for (int i = 0; i <= 5; i++)
        {
            double y = y0 + i * (y1 - y0) / 5;
            svg.AppendLine(inv, $"<line x1=\"{left}\" y1=\"{Py(y):F1}\" x2=\"{width - right}\" y2=\"{Py(y):F1}\" stroke=\"#e5e5e5\"/>");
            svg.AppendLine(inv, $"<text x=\"{left - 6}\" y=\"{Py(y) + 4:F1}\" text-anchor=\"end\">{y:F2}</text>");
        }
        svg.AppendLine(inv, $"<text x=\"{(left + width - right) / 2}\" y=\"{height - 18}\" text-anchor=\"middle\">{Escape(xLabel)}</text>");
        svg.AppendLine(inv, $"<text transform=\"translate(18,{(top + height - bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}</text>");
        for (int s = 0; s < series.Count; s++)
        {
            var colour = Palette[s % Palette.Length];
            var points = series[s].Points.Where(p => double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
            var path = new StringBuilder();
            for (int i = 0; i < points.Count; i++)
            {
                if (i > 0 && steps) path.Append(inv, $" L{Px(points[i].X):F1},{Py(points[i - 1].Y):F1}");
                path.Append(inv, $"{(i == 0 ? "M" : " L")}{Px(points[i].X):F1},{Py(points[i].Y):F1}");
            }
            svg.AppendLine(inv, $"<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>");
            foreach (var p in points.Where(p => double.IsFinite(p.Low) && double.IsFinite(p.High) && p.High > p.Low))
                svg.AppendLine(inv, $"<line x1=\"{Px(p.X):F1}\" y1=\"{Py(p.Low):F1}\" x2=\"{Px(p.X):F1}\" y2=\"{Py(p.High):F1}\" stroke=\"{colour}\" stroke-width=\"1.5\"/>");
            if (!steps)
                foreach (var p in points)
                    svg.AppendLine(inv, $"<circle cx=\"{Px(p.X):F1}\" cy=\"{Py(p.Y):F1}\" r=\"3\" fill=\"{colour}\"/>");
            svg.AppendLine(inv, $"<rect x=\"{width - right + 15}\" y=\"{top + 20 * s}\" width=\"14\" height=\"4\" fill=\"{colour}\"/>");
            svg.AppendLine(inv, $"<text x=\"{width - right + 35}\" y=\"{top + 20 * s + 6}\">{Escape(series[s].Name)}</text>");
        }
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>Round tick values (1, 2 or 5 × 10^k apart, about five of them) inside [lo, hi].</summary>
    private static List<double> NiceTicks(double lo, double hi)
    {
        double raw = (hi - lo) / 5, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 5, 10 }.Select(m => m * magnitude).First(m => m >= raw);
        var ticks = new List<double>();
        for (double t = Math.Ceiling(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.Add(Math.Round(t / step) * step);
        return ticks;
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
