using System.CommandLine;
using HistoPrognosis.Models;
using HistoPrognosis.Studies;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog extract</c>: fills the per-patient feature cache that train, predict and crossval read.</summary>
public static class ExtractCommand
{
    public static Command Create()
    {
        var options = new RunConfigOptions(ConfigFlags.Patches | ConfigFlags.Tiling | ConfigFlags.Features | ConfigFlags.Compute);
        var command = new Command("extract", "extract per-patient patch features (features, coords .h5) into the cache (--feature-cache); reuses what is already there");
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Bind(parse);
            config.Validate();
            var log = PipelineLog.Console;
            var source = FeatureSource.Of(RunInputs.Patches(config, log), config.Features, config.Stain, config.Seed);
            var r = new PrognosisPipeline(ComputeDevice.Resolve(config.Device), log).Extract(source);
            config.Write(r.Folder);
            parse.InvocationConfiguration.Output.WriteLine($"{r.Patients} patients: {r.Extracted} extracted, {r.Reused} reused ({r.Settings.Backbone}, {r.Settings.ImageSize} px, {r.Settings.Dimension}-d) → {r.Folder}");
            return 0;
        });
        return command;
    }
}
