using System.CommandLine;
using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.Models;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog finetune</c>: train one patch classifier under a freezing policy.</summary>
public static class FinetuneCommand
{
    public static Command Create()
    {
        var options = new RunConfigOptions(ConfigFlags.Patches | ConfigFlags.Features | ConfigFlags.Finetune | ConfigFlags.Compute);
        var validation = new Option<string?>("--val-patches") { Description = "validation table of other patients (default: 20% of the training patients)" };
        var output = new Option<string>("--out") { Description = "output folder (checkpoints, model.safetensors, config.json, metrics, run-config.yaml); rerunning resumes", Required = true };
        var command = new Command("finetune", "train a patch classifier (IDC vs not, the table's label column) with a freezing policy; resumes from --out/checkpoints") { validation, output };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Bind(parse);
            config.Validate();
            if (config.Input.Slides is not null) throw new UserInputException("finetune trains on labelled patches: give --patches TABLE with a label column");
            var log = PipelineLog.Console;
            var train = RunInputs.Patches(config, log, requireLabel: true);
            var validationTable = parse.GetValue(validation) is { } v ? PatchTable.Load(v, requireLabel: true, config.Input.MaxImagePixels) : null;
            var job = new FinetuneJobConfig(config.Features.Backbone, config.Seed, config.ResolvedFinetune, config.Stain);
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            var history = new FinetuneJob(job, ComputeDevice.Resolve(config.Device), log).Run(train, validationTable, outDir);
            config.Write(outDir);
            var last = history.Evaluations.LastOrDefault();
            Console.WriteLine($"{ConfigNames.Value(config.Finetune.Policy)}: best validation AUC at step {history.BestStep}; last evaluation {last?.Value:F4} at step {last?.Step}; {history.Seconds:F0} s");
            return 0;
        });
        return command;
    }
}
