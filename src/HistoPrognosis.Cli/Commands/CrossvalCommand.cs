using System.CommandLine;
using System.Globalization;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Studies;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog crossval</c>: patient-level k-fold cross-validation of aggregators (and the clinical ablation).</summary>
public static class CrossvalCommand
{
    public static Command Create()
    {
        var cohort = new Option<string>("--cohort") { Description = "cohort CSV: patient_id, time_months, event[, clinical columns, site]", Required = true };
        var patches = new PatchInputOptions("patch table: path, patient_id[, x, y] (labels are not read)");
        var backbone = new Option<string>("--backbone") { Description = "imagenet-resnet18 | scratch | resnet18|resnet34|resnet50[:FILE.safetensors]", DefaultValueFactory = _ => BackboneFactory.ImageNet };
        var compare = new Option<string?>("--compare-backbone") { Description = "also train every image arm on this backbone's features (e.g. scratch) and report the paired bootstrap difference of pooled C" };
        var imageSize = new Option<int>("--image-size") { Description = "patch size fed to the backbone, px", DefaultValueFactory = _ => 96 };
        var aggregators = new Option<string>("--aggregators") { Description = "comma-separated: mean, max, abmil, clam, transmil", DefaultValueFactory = _ => string.Join(",", MilAggregators.Names) };
        var loss = new Option<string>("--loss") { Description = "cox | nll | binary5y", DefaultValueFactory = _ => "cox" };
        var folds = new Option<int>("--folds") { Description = "patient-level folds (stratified by event and site)", DefaultValueFactory = _ => 5 };
        var clinical = new Option<string?>("--clinical") { Description = "comma-separated cohort columns; adds the image-only / clinical-only / both ablation" };
        var fusion = new Option<string>("--fusion") { Description = "concat | gated (with --clinical)", DefaultValueFactory = _ => "concat" };
        var censoring = new Option<string>("--censoring") { Description = "binary5y: ipcw | exclude", DefaultValueFactory = _ => "ipcw" };
        var bins = new Option<int>("--time-bins") { Description = "nll: time bins", DefaultValueFactory = _ => 4 };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => new MilConfig().Epochs };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => new MilConfig().LearningRate };
        var pca = new Option<int>("--pca") { Description = "principal components of the patch features fed to the MIL network (0 = all features)", DefaultValueFactory = _ => new PrognosisConfig().Mil.PcaComponents };
        var validationFraction = new Option<double>("--validation-fraction") { Description = "share of the training patients that picks the epoch (0 = keep the lowest training loss)", DefaultValueFactory = _ => new PrognosisConfig().ValidationFraction };
        var bootstrap = new Option<int>("--bootstrap") { Description = "bootstrap resamples for the pooled C-index intervals (0 = none)", DefaultValueFactory = _ => 1000 };
        var cache = new Option<string?>("--feature-cache") { Description = "feature cache folder (default ~/.local/share/histoprog/features)" };
        var allowMissing = new Option<bool>("--allow-missing") { Description = "skip cohort patients without patches instead of failing" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var output = new Option<string>("--out") { Description = "output folder: crossval.json, table.md, oof-risks.csv", Required = true };
        var device = CommonOptions.Device();
        var command = new Command("crossval", "patient-level k-fold CV: C-index per aggregator (mean ± sd over folds, pooled out-of-fold with bootstrap CI)")
        {
            cohort, backbone, compare, imageSize, aggregators, loss, folds, clinical, fusion, censoring, bins, epochs, lr, pca, validationFraction, bootstrap, cache, allowMissing, seed, output, device,
        };
        patches.AddTo(command);
        command.SetAction(parse =>
        {
            static string[] List(string? text) => (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var config = new CrossValidationConfig
            {
                Aggregators = List(parse.GetValue(aggregators)).Select(MilAggregators.Check).ToArray(),
                Folds = parse.GetValue(folds),
                BootstrapSamples = parse.GetValue(bootstrap),
                CompareBackbone = parse.GetValue(compare),
                Model = new PrognosisConfig
                {
                    Loss = parse.GetValue(loss)!,
                    Clinical = List(parse.GetValue(clinical)),
                    Fusion = parse.GetValue(fusion)!,
                    Censoring = parse.GetValue(censoring)!,
                    TimeBins = parse.GetValue(bins),
                    Seed = parse.GetValue(seed),
                    ValidationFraction = parse.GetValue(validationFraction),
                    Mil = new PrognosisConfig().Mil with { Epochs = parse.GetValue(epochs), LearningRate = parse.GetValue(lr), PcaComponents = parse.GetValue(pca) },
                },
            };
            var source = new FeatureSource(patches.Resolve(parse, PipelineLog.Console), parse.GetValue(backbone)!, parse.GetValue(imageSize), parse.GetValue(seed), parse.GetValue(cache));
            var result = new CrossValidation(ComputeDevice.Resolve(parse.GetValue(device)), PipelineLog.Console)
                .Run(parse.GetValue(cohort)!, source, config, parse.GetValue(output)!, parse.GetValue(allowMissing));
            var inv = CultureInfo.InvariantCulture;
            foreach (var a in result.Arms)
                parse.InvocationConfiguration.Output.WriteLine(string.Format(inv, "{0,-20} Harrell C {1:F3} ± {2:F3}, Uno C {3:F3} ± {4:F3}; pooled {5:F3} ({6:F3}–{7:F3})",
                    a.Name, a.HarrellMean, a.HarrellSd, a.UnoMean, a.UnoSd, a.PooledHarrell.Value, a.PooledHarrell.Lower, a.PooledHarrell.Upper));
            foreach (var c in result.BackboneComparisons ?? [])
                parse.InvocationConfiguration.Output.WriteLine(string.Format(inv, "{0,-20} {1} − {2}: {3:+0.000;-0.000} ({4:+0.000;-0.000} to {5:+0.000;-0.000})",
                    c.Model, result.Backbone, result.ComparisonBackbone, c.Difference.Value, c.Difference.Lower, c.Difference.Upper));
            if (result.ReferenceC.TryGetValue("oracle", out var oracle)) parse.InvocationConfiguration.Output.WriteLine(string.Format(inv, "oracle Harrell C {0:F3}", oracle));
            parse.InvocationConfiguration.Output.WriteLine($"→ {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
