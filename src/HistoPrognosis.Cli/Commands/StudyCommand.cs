using HistoPrognosis.IO;
using System.CommandLine;
using HistoPrognosis.Models;
using HistoPrognosis.Reports;
using HistoPrognosis.Studies;
using HistoPrognosis.Training;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog study transfer</c>: data efficiency and convergence of transfer vs scratch.</summary>
public static class StudyCommand
{
    public static Command Create()
    {
        var trainTable = new Option<string>("--train-table") { Description = "training pool: path, patient_id, label", Required = true };
        var testTable = new Option<string>("--test-table") { Description = "test patients (must not share patients with the pool)", Required = true };
        var sizes = new Option<string>("--sizes") { Description = "training patients per run, comma-separated", DefaultValueFactory = _ => "5,10,25,50,100,200" };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 3 };
        var methods = new Option<string>("--methods") { Description = "scratch,frozen,finetune[,gradual,lora]", DefaultValueFactory = _ => "scratch,frozen,finetune" };
        var backbone = new Option<string>("--backbone")
        {
            Description = $"the pretrained backbone (a ResNet spec, a timm or transformers ViT folder, PRESET:DIR; ViTs fine-tune with layer-wise decay); scratch is its architecture, random (default {BackboneFactory.ImageNet})",
            DefaultValueFactory = _ => BackboneFactory.ImageNet,
        };
        var steps = new Option<int>("--steps") { Description = "optimizer steps per run (the same for every method)", DefaultValueFactory = _ => 200 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64 };
        var imageSize = new Option<int>("--image-size") { DefaultValueFactory = _ => 96 };
        var output = new Option<string>("--out") { Required = true };
        var compute = new RunConfigOptions(ConfigFlags.Compute);
        var augment = CommonOptions.Augment();
        var transfer = new Command("transfer", "train scratch / frozen / fine-tuned classifiers on growing patient draws; evaluate on unseen patients")
        {
            trainTable, testTable, sizes, repeats, methods, backbone, steps, batch, imageSize, augment, output,
        };
        compute.AddTo(transfer);
        transfer.SetAction(parse =>
        {
            var run = compute.Bind(parse);
            int total = parse.GetValue(steps);
            int head = Math.Max(1, total / 10);
            var config = new TransferStudyConfig
            {
                TrainTable = parse.GetValue(trainTable)!,
                TestTable = parse.GetValue(testTable)!,
                Sizes = ParseInts(parse.GetValue(sizes)!, "--sizes"),
                Repeats = parse.GetValue(repeats),
                Methods = parse.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Backbone = BackboneFactory.ResolvePaths(parse.GetValue(backbone)!, Environment.CurrentDirectory),
                Seed = run.Seed,
                Finetune = new TransferStudyConfig().Finetune with
                {
                    ImageSize = parse.GetValue(imageSize), BatchSize = parse.GetValue(batch), HeadOnlySteps = head, FullSteps = total - head,
                    Augment = parse.GetValue(augment)!,
                },
            };
            using var folder = new OutputFolder(parse.GetValue(output)!);
            new TransferStudy(config, ComputeDevice.Resolve(run.Device), PipelineLog.Console).Run(folder);
            Console.WriteLine(File.ReadAllText(Path.Combine(folder.Destination, "table.md")));
            return 0;
        });
        return new Command("study", "experiments composed from the pipeline stages") { transfer, PrognosisTransfer(), StainShift() };
    }

    private static Command StainShift()
    {
        var patches = new Option<string>("--patches") { Description = "site A table: path, patient_id, label", Required = true };
        var siteB = new Option<string?>("--site-b") { Description = "a real second site's table (default: the test patients re-stained)" };
        var hematoxylin = new Option<string?>("--site-b-h") { Description = "site B haematoxylin OD vector R,G,B (default Macenko's reference 0.5626,0.7201,0.4062)" };
        var eosin = new Option<string?>("--site-b-e") { Description = "site B eosin OD vector R,G,B (default 0.2159,0.8012,0.5581)" };
        var hScale = new Option<double>("--site-b-h-scale") { Description = "haematoxylin intensity factor", DefaultValueFactory = _ => 1.3 };
        var eScale = new Option<double>("--site-b-e-scale") { Description = "eosin intensity factor", DefaultValueFactory = _ => 0.7 };
        var normalizer = new Option<string>("--normalizer") { Description = "reinhard | macenko | vahadane | ruifrok", DefaultValueFactory = _ => "macenko" };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 120 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 32 };
        var imageSize = new Option<int>("--image-size") { DefaultValueFactory = _ => 64 };
        var output = new Option<string>("--out") { Required = true };
        var compute = new RunConfigOptions(ConfigFlags.Compute);
        var command = new Command("stain-shift", "train on site A, test on a stain-shifted site B: none vs normalization vs augmentation vs both")
        {
            patches, siteB, hematoxylin, eosin, hScale, eScale, normalizer, steps, batch, imageSize, output,
        };
        compute.AddTo(command);
        command.SetAction(parse =>
        {
            var run = compute.Bind(parse);
            int total = parse.GetValue(steps);
            int head = Math.Max(1, total / 6);
            var defaults = new StainShiftConfig();
            var config = defaults with
            {
                Patches = parse.GetValue(patches)!,
                SiteBPatches = parse.GetValue(siteB),
                SiteBHematoxylin = parse.GetValue(hematoxylin) is { } h ? ParseDoubles(h, "--site-b-h") : defaults.SiteBHematoxylin,
                SiteBEosin = parse.GetValue(eosin) is { } e ? ParseDoubles(e, "--site-b-e") : defaults.SiteBEosin,
                SiteBHematoxylinScale = parse.GetValue(hScale),
                SiteBEosinScale = parse.GetValue(eScale),
                Normalizer = parse.GetValue(normalizer)!,
                Seed = run.Seed,
                Finetune = defaults.Finetune with { ImageSize = parse.GetValue(imageSize), BatchSize = parse.GetValue(batch), HeadOnlySteps = head, FullSteps = total - head },
            };
            using var folder = new OutputFolder(parse.GetValue(output)!);
            new StainShiftStudy(config, ComputeDevice.Resolve(run.Device), PipelineLog.Console).Run(folder);
            folder.Commit();
            Console.WriteLine(File.ReadAllText(Path.Combine(folder.Destination, "table.md")));
            return 0;
        });
        return command;
    }

    private static double[] ParseDoubles(string text, string option) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : throw new UserInputException($"{option}: '{t}' is not a number")).ToArray();

    /// <summary><c>histoprog study prognosis-transfer</c>: transfer vs scratch on the five-year prognosis itself.</summary>
    private static Command PrognosisTransfer()
    {
        var output = new Option<string>("--out") { Required = true };
        var options = new RunConfigOptions(ConfigFlags.Cohort | ConfigFlags.Patches | ConfigFlags.Features | ConfigFlags.Model | ConfigFlags.Finetune
                                           | ConfigFlags.Evaluation | ConfigFlags.Compute | ConfigFlags.Study);
        var command = new Command("prognosis-transfer",
            "scratch vs ImageNet (frozen-feature MIL, end-to-end discriminative / gradual, two-stage patch fine-tuning) on the prognosis itself, at growing training sizes; one held-out test split")
        {
            output,
        };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var log = PipelineLog.Console;
            var (config, cohort, source) = RunInputs.ForModelling(options, parse, log);
            var study = config.Study;
            study.Validate();
            using var folder = new OutputFolder(parse.GetValue(output)!);
            // The two-stage arm fine-tunes on the patch labels: read the table with them (an error names a row without one).
            var table = study.Arms.Contains(PrognosisArm.PatchFinetunedMil) ? RunInputs.Patches(config, log, requireLabel: true) : source.Patches;
            new PrognosisTransferStudy(study, config, ComputeDevice.Resolve(config.Device), log).Run(cohort, table, folder);
            Console.WriteLine(File.ReadAllText(Path.Combine(folder.Destination, "table.md")));
            return 0;
        });
        return command;
    }

    private static int[] ParseInts(string text, string option) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, out var v) ? v : throw new UserInputException($"{option}: '{t}' is not an integer")).ToArray();
}
