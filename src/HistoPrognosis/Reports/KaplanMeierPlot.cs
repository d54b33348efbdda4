using ScottPlot;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Reports;

/// <summary>How many patients of each group are still followed (time ≥ t) at each of a few times: the table under a Kaplan–Meier plot.</summary>
public sealed record NumbersAtRisk(IReadOnlyList<double> Times, IReadOnlyList<NumbersAtRisk.Row> Groups)
{
    public sealed record Row(string Group, IReadOnlyList<int> AtRisk);

    /// <summary>Times 0, step, 2·step, … up to the last follow-up; a year apart when follow-up spans three years or more.</summary>
    public static NumbersAtRisk Of(IReadOnlyList<(string Name, double[] Time)> groups)
    {
        double last = groups.SelectMany(g => g.Time).DefaultIfEmpty(0).Max();
        double step = last >= 36 ? 12 * Math.Max(1, Math.Floor(last / 12 / 8)) : Math.Max(1, Math.Ceiling(last / 6));
        var times = new List<double>();
        for (double t = 0; t <= last; t += step) times.Add(t);
        return new NumbersAtRisk(times, groups.Select(g => new Row(g.Name, times.Select(t => g.Time.Count(x => x >= t)).ToList())).ToList());
    }
}

/// <summary>Kaplan–Meier curves of predicted low- and high-risk groups (split at the median risk) with the log-rank test.</summary>
public static class KaplanMeierPlot
{
    public const int Width = 640, Height = 440;

    /// <summary>The plot as SVG, and the log-rank test when it is defined (null with the reason in <paramref name="Undefined"/> otherwise).</summary>
    public sealed record RiskGroups(string Svg, double? LogRankChiSquare, double? LogRankP, int Low, int High, string? Undefined);

    /// <summary>The drawn plot with its numbers at risk and test, for reports that render it themselves (PNG in the HTML report).</summary>
    public sealed record Figure(Plot Plot, NumbersAtRisk AtRisk, double? LogRankChiSquare, double? LogRankP, int[] Group, string? Undefined);

    public static RiskGroups ByMedianRisk(string title, double[] time, bool[] @event, double[] risk, string timeUnit)
    {
        var figure = Draw(title, time, @event, risk, timeUnit);
        return new RiskGroups(LineChart.Svg(figure.Plot, Width, Height), figure.LogRankChiSquare, figure.LogRankP,
            figure.Group.Count(g => g == 0), figure.Group.Count(g => g == 1), figure.Undefined);
    }

    public static Figure Draw(string title, double[] time, bool[] @event, double[] risk, string timeUnit)
    {
        var group = HistoPrognosis.Survival.RiskGroups.AboveMedian(risk);
        double? chi = null, p = null;
        string? undefined = null;
        try
        {
            var test = LogRank.Test(time, @event, group);
            (chi, p) = (test.ChiSquare, test.P);
        }
        catch (ArgumentException ex)
        {
            undefined = ex.Message;
        }
        var plot = LineChart.NewPlot(p is double pv ? $"{title} (log-rank p = {pv:G3})" : $"{title} (log-rank test undefined)", $"time ({timeUnit})", "survival probability");
        var atRisk = new List<(string, double[])>();
        foreach (var (g, name) in new[] { (0, "predicted low risk"), (1, "predicted high risk") })
        {
            var idx = Enumerable.Range(0, risk.Length).Where(i => group[i] == g).ToArray();
            if (idx.Length == 0) continue;
            var t = idx.Select(i => time[i]).ToArray();
            var curve = KaplanMeier.Fit(t, idx.Select(i => @event[i]).ToArray());
            var colour = LineChart.Colour(g);
            var line = plot.Add.Scatter(new[] { 0.0 }.Concat(curve.Time).ToArray(), new[] { 1.0 }.Concat(curve.Survival).ToArray(), colour);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = $"{name} (n={idx.Length})";
            // Censored patients as ticks on their curve, as in any Kaplan–Meier figure.
            var censored = idx.Where(i => !@event[i]).Select(i => time[i]).ToArray();
            if (censored.Length > 0)
            {
                var marks = plot.Add.ScatterPoints(censored, censored.Select(curve.SurvivalAt).ToArray(), colour);
                marks.MarkerShape = MarkerShape.VerticalBar;
                marks.MarkerSize = 8;
            }
            atRisk.Add((name, t));
        }
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, 1.02);
        plot.Axes.SetLimitsX(0, time.DefaultIfEmpty(1).Max() * 1.02);
        plot.ShowLegend(Alignment.LowerLeft);
        return new Figure(plot, NumbersAtRisk.Of(atRisk), chi, p, group, undefined);
    }
}
