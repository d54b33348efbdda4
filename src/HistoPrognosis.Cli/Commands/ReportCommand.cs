using System.CommandLine;
using HistoPrognosis.Reports.Html;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog report RUN_DIR [--out FILE]</c>: the run's self-contained <c>report.html</c> (run and demo write it too).</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run-dir") { Description = "a finished run's folder (histoprog run or demo --out)" };
        var output = new Option<string?>("--out") { Description = $"the HTML file to write (default RUN_DIR/{HtmlReport.FileName})" };
        var command = new Command("report", "one self-contained HTML page of a run: cohort, metrics with CIs, Kaplan–Meier with numbers at risk, folds, learning curves, heatmaps, patients, model card") { run, output };
        command.SetAction(parse =>
        {
            var path = HtmlReport.Write(parse.GetValue(run)!, parse.GetValue(output));
            parse.InvocationConfiguration.Output.WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }
}
