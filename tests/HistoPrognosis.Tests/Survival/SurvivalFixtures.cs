using System.Globalization;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Tests.Survival;

/// <summary>Reads the R reference files under Fixtures/survival (see PROVENANCE.txt there).</summary>
internal static class SurvivalFixtures
{
    public static string PathOf(string relative) =>
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "survival", relative);

    public static SurvivalTable Table(string relative) => SurvivalTable.Read(PathOf(relative));

    /// <summary>Rows as column → string maps, for small expectation files.</summary>
    public static List<Dictionary<string, string>> Rows(string relative)
    {
        var table = Table(relative);
        var columns = table.Columns.ToDictionary(c => c, c => table.Strings(c));
        return Enumerable.Range(0, table.RowCount)
            .Select(r => table.Columns.ToDictionary(c => c, c => columns[c][r]))
            .ToList();
    }

    public static double Num(this Dictionary<string, string> row, string column) =>
        double.Parse(row[column], NumberStyles.Float, CultureInfo.InvariantCulture);

    public sealed record Cohort(double[] Time, bool[] Event, double[,] X, string[] Names, double[] Nodes);

    /// <summary>gbsg (rfstime/status) or rotterdam (dtime/death) with the covariates of the R scripts.</summary>
    public static Cohort Load(string name)
    {
        var t = Table($"{name}.csv");
        string[] names = name == "gbsg"
            ? ["age", "meno", "size", "grade", "nodes", "pgr", "er", "hormon"]
            : ["age", "meno", "size2", "grade", "nodes", "pgr", "er", "hormon", "chemo"];
        var time = t.Times(name == "gbsg" ? "rfstime" : "dtime");
        var ev = t.Events(name == "gbsg" ? "status" : "death");
        var x = new double[t.RowCount, names.Length];
        for (int c = 0; c < names.Length; c++)
        {
            double[] col = names[c] == "size2"
                ? t.Strings("size").Select(s => s switch { "<=20" => 1.0, "20-50" => 2.0, ">50" => 3.0, _ => throw new InvalidDataException(s) }).ToArray()
                : t.Numbers(names[c]);
            for (int i = 0; i < col.Length; i++) x[i, c] = col[i];
        }
        return new Cohort(time, ev, x, names, t.Numbers("nodes"));
    }

    public static void Close(double expected, double actual, double absTolerance, string what = "")
    {
        Assert.True(Math.Abs(expected - actual) <= absTolerance,
            $"{what}: expected {expected:R}, got {actual:R} (|diff| {Math.Abs(expected - actual):E2} > {absTolerance:E0})");
    }

    public static void RelClose(double expected, double actual, double relTolerance, string what = "")
    {
        double rel = Math.Abs(expected - actual) / Math.Max(Math.Abs(expected), double.Epsilon);
        Assert.True(rel <= relTolerance, $"{what}: expected {expected:R}, got {actual:R} (relative diff {rel:E2} > {relTolerance:E0})");
    }
}
