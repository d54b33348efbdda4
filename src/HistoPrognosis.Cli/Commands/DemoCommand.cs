using System.CommandLine;
using HistoPrognosis.Models;
using HistoPrognosis.Reports;
using HistoPrognosis.Studies;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog demo</c>: the end-to-end pipeline on the embedded IDC subset (or a given table).</summary>
public static class DemoCommand
{
    public const string EmbeddedLabels = "data/idc-demo/labels.csv";

    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "output folder for results.json and summary.md", DefaultValueFactory = _ => "demo-out" };
        var labels = new Option<string?>("--labels") { Description = $"patch table (path, patient_id, label); default: the embedded {EmbeddedLabels}" };
        var config = new Option<string?>("--config") { Description = "JSON config (snake_case: seed, finetune, mil, ...)" };
        var seed = new Option<int?>("--seed") { Description = "random seed (overrides the config)" };
        var device = CommonOptions.Device();
        var command = new Command("demo", "fine-tune vs scratch on real IDC patches, MIL survival on simulated follow-up, report")
        {
            output, labels, config, seed, device,
        };
        command.SetAction(parse =>
        {
            var settings = parse.GetValue(config) is { } file ? DemoConfig.LoadJson(file) : new DemoConfig();
            settings = settings with
            {
                Labels = parse.GetValue(labels) ?? (settings.Labels.Length > 0 ? settings.Labels : LocateEmbedded()),
                Seed = parse.GetValue(seed) ?? settings.Seed,
            };
            var log = PipelineLog.Console;
            using var folder = new OutputFolder(parse.GetValue(output)!);
            var results = new DemoPipeline(settings, ComputeDevice.Resolve(parse.GetValue(device)), log).Run();
            DemoReport.Write(results, folder);
            folder.Commit();
            log.Info($"wrote {Path.Combine(folder.Destination, "results.json")} and summary.md");
            Console.WriteLine(DemoReport.Summary(results));
            return 0;
        });
        return command;
    }

    /// <summary>The embedded subset ships in the repository; look upward from here and from the tool's folder.</summary>
    private static string LocateEmbedded()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, EmbeddedLabels);
                if (File.Exists(candidate)) return candidate;
            }
        throw new UserInputException($"the embedded demo data ({EmbeddedLabels}) was not found above {Directory.GetCurrentDirectory()}; pass --labels PATH (e.g. ../shared/data/idc/labels.csv)");
    }
}
