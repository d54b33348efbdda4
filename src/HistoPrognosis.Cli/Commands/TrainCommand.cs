using System.CommandLine;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Studies;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog train</c>: a MIL prognosis model on a cohort's patch features.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var cohort = new Option<string>("--cohort") { Description = "cohort CSV: patient_id, time_months, event[, clinical columns, site]", Required = true };
        var patches = new PatchInputOptions("patch table: path, patient_id[, x, y] (labels are not read)");
        var backbone = new Option<string>("--backbone") { Description = "imagenet-resnet18 | scratch | resnet18|resnet34|resnet50[:FILE.safetensors]", DefaultValueFactory = _ => BackboneFactory.ImageNet };
        var aggregator = new Option<string>("--aggregator") { Description = "mean | max | abmil | clam | transmil", DefaultValueFactory = _ => new PrognosisConfig().Aggregator };
        var loss = new Option<string>("--loss") { Description = "cox | nll | binary5y", DefaultValueFactory = _ => "cox" };
        var clinical = new Option<string?>("--clinical") { Description = "comma-separated cohort columns fused with the image (numeric standardised, others one-hot)" };
        var fusion = new Option<string>("--fusion") { Description = "concat | gated (with --clinical)", DefaultValueFactory = _ => "concat" };
        var censoring = new Option<string>("--censoring") { Description = "binary5y: ipcw | exclude for patients censored before 5 years", DefaultValueFactory = _ => "ipcw" };
        var bins = new Option<int>("--time-bins") { Description = "nll: time bins (quantiles of event times)", DefaultValueFactory = _ => 4 };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => new MilConfig().Epochs };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => new MilConfig().LearningRate };
        var pca = new Option<int>("--pca") { Description = "principal components of the patch features fed to the MIL network (0 = all features)", DefaultValueFactory = _ => new PrognosisConfig().Mil.PcaComponents };
        var validationFraction = new Option<double>("--validation-fraction") { Description = "share of the training patients that picks the epoch (0 = keep the lowest training loss)", DefaultValueFactory = _ => new PrognosisConfig().ValidationFraction };
        var imageSize = new Option<int>("--image-size") { Description = "patch size fed to the backbone, px", DefaultValueFactory = _ => 96 };
        var cache = new Option<string?>("--feature-cache") { Description = "feature cache folder (default ~/.local/share/histoprog/features)" };
        var allowMissing = new Option<bool>("--allow-missing") { Description = "skip cohort patients without patches instead of failing" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var output = new Option<string>("--out") { Description = "model directory (model.json, network.safetensors, loss-curve.csv)", Required = true };
        var device = CommonOptions.Device();
        var command = new Command("train", "train a MIL prognosis model (aggregator + survival head, optional clinical fusion)")
        {
            cohort, backbone, aggregator, loss, clinical, fusion, censoring, bins, epochs, lr, pca, validationFraction, imageSize, cache, allowMissing, seed, output, device,
        };
        patches.AddTo(command);
        command.SetAction(parse =>
        {
            var config = new PrognosisConfig
            {
                Aggregator = parse.GetValue(aggregator)!,
                Loss = parse.GetValue(loss)!,
                Clinical = (parse.GetValue(clinical) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Fusion = parse.GetValue(fusion)!,
                Censoring = parse.GetValue(censoring)!,
                TimeBins = parse.GetValue(bins),
                Seed = parse.GetValue(seed),
                ValidationFraction = parse.GetValue(validationFraction),
                Mil = new PrognosisConfig().Mil with { Epochs = parse.GetValue(epochs), LearningRate = parse.GetValue(lr), PcaComponents = parse.GetValue(pca) },
            };
            config.Validate();
            var source = new FeatureSource(patches.Resolve(parse, PipelineLog.Console), parse.GetValue(backbone)!, parse.GetValue(imageSize), parse.GetValue(seed), parse.GetValue(cache));
            using var model = new PrognosisPipeline(ComputeDevice.Resolve(parse.GetValue(device)), PipelineLog.Console)
                .Train(parse.GetValue(cohort)!, source, config, parse.GetValue(output)!, parse.GetValue(allowMissing));
            parse.InvocationConfiguration.Output.WriteLine($"{config.Aggregator}/{config.Loss}: kept epoch {model.BestEpoch} → {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
