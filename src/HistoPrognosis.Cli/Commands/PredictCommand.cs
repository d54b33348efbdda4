using System.CommandLine;
using HistoPrognosis.Models;
using HistoPrognosis.Studies;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog predict</c>: risks and five-year event probabilities from a saved model.</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "model directory written by histoprog train", Required = true };
        var cohort = new Option<string>("--cohort") { Description = "cohort CSV with patient_id (follow-up not needed) and the model's clinical columns", Required = true };
        var patches = new PatchInputOptions("patch table: path, patient_id (labels are never read)");
        var cache = new Option<string?>("--feature-cache") { Description = "feature cache folder (default ~/.local/share/histoprog/features)" };
        var allowMissing = new Option<bool>("--allow-missing") { Description = "skip cohort patients without patches instead of failing" };
        var output = new Option<string>("--out") { Description = "risks CSV: patient_id, risk, p_event_5y", Required = true };
        var device = CommonOptions.Device();
        var command = new Command("predict", "predict risk and five-year event probability for every cohort patient") { model, cohort, cache, allowMissing, output, device };
        patches.AddTo(command);
        command.SetAction(parse =>
        {
            var predictions = new PrognosisPipeline(ComputeDevice.Resolve(parse.GetValue(device)), PipelineLog.Console).Predict(
                parse.GetValue(model)!, parse.GetValue(cohort)!, patches.Resolve(parse, PipelineLog.Console), parse.GetValue(output)!, parse.GetValue(cache), parse.GetValue(allowMissing));
            parse.InvocationConfiguration.Output.WriteLine($"{predictions.Count} patients → {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
