using System.Globalization;
using ScottPlot;

namespace HistoPrognosis.Reports;

/// <summary>The ScottPlot line charts of the reports: series with optional error bars, step lines for survival curves, log x.</summary>
public static partial class LineChart
{
    public const int Height = 440;
    private static readonly string[] Palette = ["#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6c4f9c"];

    /// <summary>Wide enough for the plot and a legend of the longest series name.</summary>
    public static int Width(IReadOnlyList<ChartSeries> series) => 620 + Math.Max(0, 7 * series.Select(s => s.Name.Length).DefaultIfEmpty(0).Max() - 120);

    public static Color Colour(int index) => Color.FromHex(Palette[index % Palette.Length]);

    public static Plot Build(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool logX = false,
        double? yMin = null, double? yMax = null, bool steps = false)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        // ScottPlot has no log axis: the data go in as log10 and the ticks are labelled with the original values.
        double X(double x) => logX ? Math.Log10(Math.Max(x, 1e-12)) : x;
        for (int s = 0; s < series.Count; s++)
        {
            var points = series[s].Points.Where(p => double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
            if (points.Count == 0) continue;
            var colour = Colour(s);
            var line = plot.Add.Scatter(points.Select(p => X(p.X)).ToArray(), points.Select(p => p.Y).ToArray(), colour);
            line.LegendText = series[s].Name;
            line.LineWidth = 2;
            line.MarkerSize = steps ? 0 : 6;
            if (steps) line.ConnectStyle = ConnectStyle.StepHorizontal;
            foreach (var p in points.Where(p => double.IsFinite(p.Low) && double.IsFinite(p.High) && p.High > p.Low))
            {
                var bar = plot.Add.Line(X(p.X), p.Low, X(p.X), p.High);
                bar.Color = colour;
                bar.LineWidth = 1.5f;
                bar.MarkerSize = 0;
            }
        }
        if (logX) LogTicks(plot, series.SelectMany(s => s.Points).Select(p => p.X).Where(x => x > 0).Distinct().Order().ToList());
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        if (yMin is not null || yMax is not null) plot.Axes.SetLimitsY(yMin ?? limits.Bottom, yMax ?? limits.Top);
        // Outside the data area: a legend inside hides points wherever they fall.
        if (series.Count > 0) plot.ShowLegend(Edge.Right);
        return plot;
    }

    /// <summary>An empty plot with the reports' font, title and axis labels.</summary>
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        // A font every Linux box with fonts-dejavu-core has: ScottPlot's default may resolve to none and draw boxes.
        plot.Font.Set(FontName);
        plot.Title(title, size: 15);
        plot.XLabel(xLabel, size: 13);
        plot.YLabel(yLabel, size: 13);
        return plot;
    }

    public const string FontName = "DejaVu Sans";

    public static byte[] Png(Plot plot, int width, int height) => plot.GetImageBytes(width, height, ImageFormat.Png);

    /// <summary>
    /// The plot as SVG, the same bytes for the same plot: Skia numbers its clip paths from a process-wide counter,
    /// so they are renumbered in order of appearance (a resumed run must rewrite a file byte for byte).
    /// </summary>
    public static string Svg(Plot plot, int width, int height)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        return ClipId().Replace(plot.GetSvgXml(width, height), m => ids.TryGetValue(m.Value, out var id) ? id : ids[m.Value] = $"cl_{ids.Count}");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\bcl_[0-9A-Za-z]+\b")]
    private static partial System.Text.RegularExpressions.Regex ClipId();

    private static void LogTicks(Plot plot, List<double> values)
    {
        if (values.Count == 0) return;
        // The data's own x values when they are few (training sizes), else the decades they span.
        var positions = values.Count <= 12 ? values
            : Enumerable.Range((int)Math.Floor(Math.Log10(values[0])), (int)Math.Ceiling(Math.Log10(values[^1])) - (int)Math.Floor(Math.Log10(values[0])) + 1)
                .Select(k => Math.Pow(10, k)).ToList();
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var x in positions) ticks.AddMajor(Math.Log10(x), x.ToString("G4", CultureInfo.InvariantCulture));
        plot.Axes.Bottom.TickGenerator = ticks;
    }
}
