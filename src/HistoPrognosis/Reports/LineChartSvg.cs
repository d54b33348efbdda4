namespace HistoPrognosis.Reports;

/// <summary>One line of a chart: points with an optional interval (drawn as error bars).</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y, double Low, double High)> Points);

/// <summary>
/// A line chart (optionally log-scaled x) for learning curves and study plots, drawn by ScottPlot and written as
/// SVG: opens in any browser and embeds in Markdown. <see cref="LineChart"/> builds the same plot for PNG output.
/// </summary>
public static class LineChartSvg
{
    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool logX = false,
        double? yMin = null, double? yMax = null, bool steps = false)
    {
        var plot = LineChart.Build(title, xLabel, yLabel, series, logX, yMin, yMax, steps);
        return LineChart.Svg(plot, LineChart.Width(series), LineChart.Height);
    }
}
