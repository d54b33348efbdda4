using System.CommandLine;
using HistoPrognosis.Configuration;
using HistoPrognosis.IO;
using HistoPrognosis.Models;
using HistoPrognosis.Studies;
using HistoPrognosis.Training.EndToEnd;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog train</c>: a MIL prognosis model on a cohort's patch features.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var options = new RunConfigOptions(ConfigFlags.Cohort | ConfigFlags.Patches | ConfigFlags.Tiling | ConfigFlags.Features | ConfigFlags.Model
            | ConfigFlags.Finetune | ConfigFlags.Compute);
        var output = new Option<string>("--out") { Description = "model directory (model.json, network.safetensors, loss-curve.csv, run-config.yaml; with --end-to-end: end-to-end.json, model.safetensors, config.json, losses.csv, metrics.csv)", Required = true };
        var endToEnd = new Option<bool>("--end-to-end")
        {
            Description = "fine-tune the backbone jointly with the aggregator and head from follow-up (image only; the finetune flags --policy, --head-steps, --full-steps, --head-lr, --layer-decay, --augment apply); writes end-to-end.json instead of model.json",
        };
        var command = new Command("train", "train a MIL prognosis model (aggregator + survival head, optional clinical fusion)") { output, endToEnd };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var log = PipelineLog.Console;
            var (config, cohort, source) = RunInputs.ForModelling(options, parse, log);
            PrognosisPipeline.TrainingCohort(cohort, source.Patches, config.ResolvedModel, config.Input.AllowMissing, PipelineLog.Silent); // before LibTorch loads
            using var folder = new OutputFolder(parse.GetValue(output)!);
            if (parse.GetValue(endToEnd))
            {
                var settings = new EndToEndSetup(config.ResolvedFinetune, config.ResolvedModel, config.Seed);
                using var trained = new EndToEndPipeline(ComputeDevice.Resolve(config.Device), log).Train(cohort, source, settings, folder.Path, config.Input.AllowMissing, folder.Checkpoints);
                config.Write(folder.Path);
                folder.Commit();
                parse.InvocationConfiguration.Output.WriteLine($"end-to-end {ConfigNames.Value(config.Finetune.Policy)}/{ConfigNames.Value(config.Model.Aggregator)}/{ConfigNames.Value(config.Model.Loss)}: kept step {trained.History?.BestStep} → {folder.Destination}");
                return 0;
            }
            using var model = new PrognosisPipeline(ComputeDevice.Resolve(config.Device), log)
                .Train(cohort, source, config.ResolvedModel, folder.Path, config.Input.AllowMissing);
            config.Write(folder.Path);
            folder.Commit();
            parse.InvocationConfiguration.Output.WriteLine($"{ConfigNames.Value(config.Model.Aggregator)}/{ConfigNames.Value(config.Model.Loss)}: kept epoch {model.BestEpoch} → {folder.Destination}");
            return 0;
        });
        return command;
    }
}
