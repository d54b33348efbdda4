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
        var shard = ShardOption.Create("patients");
        var command = new Command("extract", "extract per-patient patch features (features, coords .h5) into the cache (--feature-cache); reuses what is already there") { shard };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Bind(parse);
            config.Validate();
            var log = PipelineLog.Console;
            var share = ShardOption.Parse(parse.GetValue(shard));
            var table = RunInputs.Patches(config, log);
            // A static share of the patients, in table order; the cache claims each patient, so shards may overlap safely.
            if (share.IsStatic) table = table.Subset(table.PatientIds.Where((_, i) => share.Includes(i)));
            var source = FeatureSource.Of(table, config.Features, config.Stain, config.Seed);
            var r = new PrognosisPipeline(ComputeDevice.Resolve(config.Device), log).Extract(source);
            config.Write(r.Folder);
            parse.InvocationConfiguration.Output.WriteLine($"{r.Patients} patients: {r.Extracted} extracted, {r.Reused} reused ({r.Settings.Backbone}, {r.Settings.ImageSize} px, {r.Settings.Dimension}-d) → {r.Folder}");
            return 0;
        });
        return command;
    }
}
