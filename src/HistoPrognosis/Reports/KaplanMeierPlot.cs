using HistoPrognosis.Survival;

namespace HistoPrognosis.Reports;

/// <summary>Kaplan–Meier curves of predicted low- and high-risk groups (split at the median risk) with the log-rank test.</summary>
public static class KaplanMeierPlot
{
    /// <summary>The plot, and the log-rank test when it is defined (null with the reason in <paramref name="Undefined"/> otherwise).</summary>
    public sealed record RiskGroups(string Svg, double? LogRankChiSquare, double? LogRankP, int Low, int High, string? Undefined);

    public static RiskGroups ByMedianRisk(string title, double[] time, bool[] @event, double[] risk, string timeUnit)
    {
        var group = HistoPrognosis.Survival.RiskGroups.AboveMedian(risk);
        var series = new List<ChartSeries>();
        foreach (var (g, name) in new[] { (0, "predicted low risk"), (1, "predicted high risk") })
        {
            var idx = Enumerable.Range(0, risk.Length).Where(i => group[i] == g).ToArray();
            if (idx.Length == 0) continue;
            var curve = KaplanMeier.Fit(idx.Select(i => time[i]).ToArray(), idx.Select(i => @event[i]).ToArray());
            var points = new List<(double, double, double, double)> { (0, 1, double.NaN, double.NaN) };
            for (int k = 0; k < curve.Time.Count; k++) points.Add((curve.Time[k], curve.Survival[k], double.NaN, double.NaN));
            series.Add(new ChartSeries($"{name} (n={idx.Length})", points));
        }
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
        var svg = LineChartSvg.Render(p is double pv ? $"{title} (log-rank p = {pv:G3})" : $"{title} (log-rank test undefined)", $"time ({timeUnit})", "survival probability", series,
            yMin: 0, yMax: 1, steps: true);
        return new RiskGroups(svg, chi, p, group.Count(g => g == 0), group.Count(g => g == 1), undefined);
    }
}
