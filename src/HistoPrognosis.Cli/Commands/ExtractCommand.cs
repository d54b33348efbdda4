using System.CommandLine;
using HistoPrognosis.Models;
using HistoPrognosis.Studies;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog extract</c>: fills the per-patient feature cache that train, predict and crossval read.</summary>
public static class ExtractCommand
{
    public static Command Create()
    {
        var patches = new PatchInputOptions("patch table: path, patient_id[, x, y] (labels are not read)");
        var backbone = new Option<string>("--backbone") { Description = "imagenet-resnet18 | scratch | resnet18|resnet34|resnet50[:FILE.safetensors]", DefaultValueFactory = _ => BackboneFactory.ImageNet };
        var imageSize = new Option<int>("--image-size") { Description = "patch size fed to the backbone, px", DefaultValueFactory = _ => 96 };
        var seed = new Option<int>("--seed") { Description = "initialisation seed of a scratch backbone", DefaultValueFactory = _ => 7 };
        var output = new Option<string>("--out") { Description = "feature cache folder (the --feature-cache of train, predict and crossval)", Required = true };
        var device = CommonOptions.Device();
        var command = new Command("extract", "extract per-patient patch features (features, coords .h5) into the cache; reuses what is already there")
        {
            backbone, imageSize, seed, output, device,
        };
        patches.AddTo(command);
        command.SetAction(parse =>
        {
            var source = new FeatureSource(patches.Resolve(parse, PipelineLog.Console), parse.GetValue(backbone)!, parse.GetValue(imageSize), parse.GetValue(seed), parse.GetValue(output));
            var r = new PrognosisPipeline(ComputeDevice.Resolve(parse.GetValue(device)), PipelineLog.Console).Extract(source);
            parse.InvocationConfiguration.Output.WriteLine($"{r.Patients} patients: {r.Extracted} extracted, {r.Reused} reused ({r.Settings.Backbone}, {r.Settings.ImageSize} px, {r.Settings.Dimension}-d) → {r.Folder}");
            return 0;
        });
        return command;
    }
}
