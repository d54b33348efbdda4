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
        var patches = new Option<string>("--patches") { Description = "patch table: path, patient_id (labels are never read)", Required = true };
        var cache = new Option<string?>("--feature-cache") { Description = "feature cache folder (default ~/.local/share/histoprog/features)" };
        var allowMissing = new Option<bool>("--allow-missing") { Description = "skip cohort patients without patches instead of failing" };
        var output = new Option<string>("--out") { Description = "risks CSV: patient_id, risk, p_event_5y", Required = true };
        var device = CommonOptions.Device();
        var command = new Command("predict", "predict risk and five-year event probability for every cohort patient") { model, cohort, patches, cache, allowMissing, output, device };
        command.SetAction(parse =>
        {
            var predictions = new PrognosisPipeline(ComputeDevice.Resolve(parse.GetValue(device)), PipelineLog.Console).Predict(
                parse.GetValue(model)!, parse.GetValue(cohort)!, parse.GetValue(patches)!, parse.GetValue(output)!, parse.GetValue(cache), parse.GetValue(allowMissing));
            parse.InvocationConfiguration.Output.WriteLine($"{predictions.Count} patients → {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
