using System.CommandLine;
using HistoPrognosis.IO;
using HistoPrognosis.Models;
using HistoPrognosis.Studies;
using HistoPrognosis.Training.EndToEnd;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog predict</c>: risks and five-year event probabilities from a saved model.</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var options = new RunConfigOptions(ConfigFlags.Cohort | ConfigFlags.Patches | ConfigFlags.Tiling | ConfigFlags.Compute);
        var cache = new Option<string?>("--feature-cache") { Description = "feature cache folder (default ~/.local/share/histoprog/features)" };
        var model = new Option<string>("--model") { Description = "model directory written by histoprog train", Required = true };
        var output = new Option<string>("--out") { Description = "risks CSV: patient_id, risk, p_event_5y", Required = true };
        var command = new Command("predict", "predict risk and five-year event probability for every cohort patient (follow-up not needed)") { model, cache, output };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Bind(parse);
            if (parse.GetValue(cache) is { } c) config = config with { Features = config.Features with { Cache = Path.GetFullPath(c) } };
            var log = PipelineLog.Console;
            var cohort = RunInputs.Cohort(config, requireOutcome: false);
            var device = ComputeDevice.Resolve(config.Device);
            var predictions = EndToEndModelFile.IsModelDirectory(parse.GetValue(model)!)
                ? new EndToEndPipeline(device, log).Predict(parse.GetValue(model)!, cohort, RunInputs.Patches(config, log), parse.GetValue(output)!, config.Input.AllowMissing)
                : new PrognosisPipeline(device, log).Predict(
                    parse.GetValue(model)!, cohort, RunInputs.Patches(config, log), parse.GetValue(output)!, config.Features.Cache, config.Input.AllowMissing);
            // The output is one table, so its resolved config sits beside it: risks.csv → risks.run-config.yaml.
            var outPath = Path.GetFullPath(parse.GetValue(output)!);
            AtomicFile.WriteAllText(Path.ChangeExtension(outPath, null) + "." + RunConfig.FileName, config.ToYaml());
            parse.InvocationConfiguration.Output.WriteLine($"{predictions.Count} patients → {outPath}");
            return 0;
        });
        return command;
    }
}
