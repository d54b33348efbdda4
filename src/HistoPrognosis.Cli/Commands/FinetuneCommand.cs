using System.CommandLine;
using HistoPrognosis.Models;
using HistoPrognosis.Training;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog finetune</c>: train one patch classifier under a freezing policy.</summary>
public static class FinetuneCommand
{
    public static Command Create()
    {
        var patches = new Option<string>("--patches") { Description = "training table: path, patient_id, label", Required = true };
        var validation = new Option<string?>("--val-patches") { Description = "validation table (default: 20% of the training patients)" };
        var backbone = new Option<string>("--backbone") { Description = "imagenet-resnet18 | scratch | resnet18|resnet34|resnet50[:FILE.safetensors]", DefaultValueFactory = _ => BackboneFactory.ImageNet };
        var policy = new Option<string>("--policy") { Description = "frozen | discriminative | gradual | scratch", DefaultValueFactory = _ => "discriminative" };
        var output = new Option<string>("--out") { Description = "output folder (checkpoints, model.safetensors, config.json, metrics)", Required = true };
        var steps = new Option<int>("--steps") { Description = "optimizer steps in all", DefaultValueFactory = _ => 300 };
        var batch = new Option<int>("--batch") { Description = "batch size", DefaultValueFactory = _ => 32 };
        var imageSize = new Option<int>("--image-size") { Description = "input size in px", DefaultValueFactory = _ => 96 };
        var lr = new Option<double>("--lr") { Description = "head learning rate", DefaultValueFactory = _ => 1e-3 };
        var decay = new Option<double>("--layer-decay") { Description = "learning-rate factor per stage away from the head", DefaultValueFactory = _ => 0.4 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var augment = CommonOptions.Augment();
        var device = CommonOptions.Device();
        var command = new Command("finetune", "train a patch classifier (IDC vs not) with a freezing policy; resumes from --out/checkpoints")
        {
            patches, validation, backbone, policy, output, steps, batch, imageSize, lr, decay, augment, seed, device,
        };
        command.SetAction(parse =>
        {
            int total = parse.GetValue(steps);
            var parsedPolicy = PhasePlan.Parse(parse.GetValue(policy)!);
            int headSteps = parsedPolicy is FinetunePolicy.Frozen or FinetunePolicy.Scratch ? 0 : Math.Max(1, total / 10);
            var config = new FinetuneJobConfig
            {
                Patches = parse.GetValue(patches)!,
                ValidationPatches = parse.GetValue(validation),
                Backbone = parse.GetValue(backbone)!,
                Policy = parsedPolicy,
                Seed = parse.GetValue(seed),
                Finetune = new FinetuneConfig(ImageSize: parse.GetValue(imageSize), BatchSize: parse.GetValue(batch),
                    HeadOnlySteps: headSteps, FullSteps: total - headSteps, HeadLearningRate: parse.GetValue(lr),
                    LayerDecay: parse.GetValue(decay), ScratchLearningRate: parse.GetValue(lr), Augment: parse.GetValue(augment)!),
            };
            var history = new FinetuneJob(config, ComputeDevice.Resolve(parse.GetValue(device)), PipelineLog.Console).Run(parse.GetValue(output)!);
            var last = history.Evaluations.LastOrDefault();
            Console.WriteLine($"best validation AUC at step {history.BestStep}; last evaluation {last?.Value:F4} at step {last?.Step}; {history.Seconds:F0} s");
            return 0;
        });
        return command;
    }
}
