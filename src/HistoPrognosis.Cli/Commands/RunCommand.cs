using System.CommandLine;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog run CONFIG --out DIR</c>: the whole workflow from one run config; rerun to resume.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("config") { Description = "run config (YAML or JSON), e.g. an earlier run's run-config.yaml" };
        var output = new Option<string>("--out") { Description = "output folder: one folder per stage, results.json, summary.md, run-config.yaml", Required = true };
        var options = new RunConfigOptions(ConfigFlags.Cohort | ConfigFlags.Patches | ConfigFlags.Tiling | ConfigFlags.Features | ConfigFlags.Model
                                           | ConfigFlags.Crossval | ConfigFlags.Evaluation | ConfigFlags.Finetune | ConfigFlags.Compute | ConfigFlags.Study);
        var command = new Command("run", "tile → fine-tune → extract → cross-validate or train + predict → evaluate → report, from one config; stages already done with the same settings are skipped") { file, output };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(options.Config) is not null) throw new UserInputException("histoprog run takes the config as its argument, not --config");
            var config = options.Bind(parse, file: parse.GetValue(file));
            var result = new RunWorkflow(config, PipelineLog.Console).Run(parse.GetValue(output)!);
            Console.WriteLine(RunSummary.Markdown(result, config));
            return 0;
        });
        return command;
    }
}
