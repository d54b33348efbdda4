using System.CommandLine;
using HistoPrognosis.Stain;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog stain normalize</c>: binds the options and runs <see cref="StainBatch"/>.</summary>
public static class StainCommand
{
    public static Command Create()
    {
        var stain = new Command("stain", "Stain normalization (Reinhard, Macenko, Vahadane, Ruifrok)");
        stain.Subcommands.Add(Normalize());
        return stain;
    }

    private static Command Normalize()
    {
        var method = new Option<string>("--method") { Description = $"Normalization method: {string.Join(" | ", StainNormalizers.Methods)}" };
        method.AcceptOnlyFromAmong([.. StainNormalizers.Methods]);
        var target = new Option<string>("--target") { Description = "Target image to fit the normalizer to (8-bit RGB)" };
        var output = new Option<string>("--out") { Description = "Output folder; each input is written as <input name>.png", Required = true };
        var saveFit = new Option<string>("--save-fit") { Description = "Also write the fitted normalizer to this JSON file" };
        var fit = new Option<string>("--fit") { Description = "Reuse a fit saved with --save-fit instead of --target" };
        var joint = new Option<bool>("--joint-source") { Description = "Measure the source stain once over all inputs (tiles of one slide) instead of per image" };
        var inputs = new Argument<string[]>("inputs") { Description = "Images to normalize", Arity = ArgumentArity.OneOrMore };

        var command = new Command("normalize", "Normalize images to a target's stain appearance (default method and target: the stain section of --config)") { method, target, output, saveFit, fit, joint, inputs };
        var config = new RunConfigOptions(ConfigFlags.None);
        config.AddTo(command);
        command.SetAction(parse =>
        {
            var bound = config.Bind(parse);
            var section = bound.Stain;
            var request = new StainBatchRequest
            {
                Method = parse.GetValue(method) ?? (section.Method == StainMethod.None ? null : HistoPrognosis.Configuration.ConfigNames.Value(section.Method)),
                TargetPath = parse.GetValue(target) ?? (parse.GetValue(fit) is null ? section.Target : null),
                FitPath = parse.GetValue(fit),
                SaveFitPath = parse.GetValue(saveFit),
                OutputDirectory = parse.GetValue(output)!,
                Inputs = parse.GetValue(inputs) ?? [],
                JointSource = parse.GetValue(joint),
                MaxImagePixels = bound.Input.MaxImagePixels,
            };
            var written = StainBatch.Run(request, Console.WriteLine);
            Console.WriteLine($"normalized {written.Count} image(s) into {request.OutputDirectory}");
            return 0;
        });
        return command;
    }
}
