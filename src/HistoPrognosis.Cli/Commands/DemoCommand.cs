using System.CommandLine;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog demo</c>: the workflow of <c>histoprog run</c> with the demo's preset config on the embedded IDC subset.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var options = new RunConfigOptions(ConfigFlags.Patches | ConfigFlags.Features | ConfigFlags.Model | ConfigFlags.Finetune | ConfigFlags.Evaluation | ConfigFlags.Compute | ConfigFlags.Study);
        var output = new Option<string>("--out") { Description = "output folder (results.json, summary.md, run-config.yaml, one folder per stage)", DefaultValueFactory = _ => "demo-out" };
        var command = new Command("demo", "fine-tuned vs scratch ResNet18 on real IDC patches, MIL survival on simulated follow-up, report (= histoprog run with the demo preset)") { output };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Bind(parse, DemoPreset.Config(DemoPreset.TryLocateEmbedded()));
            if (config.Input.Patches is null) throw new UserInputException(DemoPreset.NotFound);
            var result = new RunWorkflow(config, PipelineLog.Console).Run(parse.GetValue(output)!);
            Console.WriteLine(RunSummary.Markdown(result, config));
            return 0;
        });
        return command;
    }
}
