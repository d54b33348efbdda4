using System.CommandLine;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog config show [FILE]</c> and <c>histoprog config validate FILE</c>.</summary>
public static class ConfigCommand
{
    public static Command Create()
    {
        var showFile = new Argument<string?>("file") { Description = "run config (YAML or JSON); none: the defaults", Arity = ArgumentArity.ZeroOrOne };
        var show = new Command("show", "print the resolved run config: every key with its value (defaults filled in, paths absolute)") { showFile };
        show.SetAction(parse =>
        {
            var config = parse.GetValue(showFile) is { } f ? RunConfig.Load(f) : new RunConfig();
            parse.InvocationConfiguration.Output.Write(config.ToYaml());
            return 0;
        });
        var validateFile = new Argument<string>("file") { Description = "run config (YAML or JSON)" };
        var validate = new Command("validate", "check a run config: known keys, types, values, and that the input files exist") { validateFile };
        validate.SetAction(parse =>
        {
            var path = parse.GetValue(validateFile)!;
            var config = RunConfig.Load(path);
            config.Validate();
            config.Input.Validate();
            foreach (var (key, file) in new[] { ("input.cohort", config.Input.Cohort), ("input.patches", config.Input.Patches), ("input.slides", config.Input.Slides) })
                if (file is not null && !File.Exists(file)) throw new UserInputException($"{path}: {key}: {file} does not exist");
            parse.InvocationConfiguration.Output.WriteLine($"{path}: valid");
            return 0;
        });
        return new Command("config", "show or check a run config") { show, validate };
    }
}
