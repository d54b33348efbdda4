using System.CommandLine;
using System.Globalization;
using HistoPrognosis.IO;
using HistoPrognosis.Models;
using HistoPrognosis.Studies;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog crossval</c>: patient-level k-fold cross-validation of aggregators (and the clinical ablation).</summary>
public static class CrossvalCommand
{
    public static Command Create()
    {
        var options = new RunConfigOptions(ConfigFlags.Cohort | ConfigFlags.Patches | ConfigFlags.Tiling | ConfigFlags.Features | ConfigFlags.Model
                                           | ConfigFlags.Crossval | ConfigFlags.Evaluation | ConfigFlags.Compute);
        var output = new Option<string>("--out") { Description = "output folder: crossval.json, table.md, oof-risks.csv, run-config.yaml", Required = true };
        var command = new Command("crossval", "patient-level k-fold CV: C-index per aggregator (mean ± sd over folds, pooled out-of-fold with bootstrap CI)") { output };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var log = PipelineLog.Console;
            var (config, cohort, source) = RunInputs.ForModelling(options, parse, log);
            using var folder = new OutputFolder(parse.GetValue(output)!);
            var result = new CrossValidation(ComputeDevice.Resolve(config.Device), log).Run(cohort, source, config.Crossval, config.ResolvedModel,
                config.Evaluation.BootstrapSamples, config.Features.CompareBackbone, folder.Path, config.Input.AllowMissing);
            config.Write(folder.Path);
            folder.Commit();
            var inv = CultureInfo.InvariantCulture;
            var console = parse.InvocationConfiguration.Output;
            foreach (var a in result.Arms)
                console.WriteLine(string.Format(inv, "{0,-20} Harrell C {1:F3} ± {2:F3}, Uno C {3:F3} ± {4:F3}; pooled {5:F3} ({6:F3}–{7:F3})",
                    a.Name, a.HarrellMean, a.HarrellSd, a.UnoMean, a.UnoSd, a.PooledHarrell.Value, a.PooledHarrell.Lower, a.PooledHarrell.Upper));
            foreach (var c in result.BackboneComparisons ?? [])
                console.WriteLine(string.Format(inv, "{0,-20} {1} − {2}: {3:+0.000;-0.000} ({4:+0.000;-0.000} to {5:+0.000;-0.000})",
                    c.Model, result.Backbone, result.ComparisonBackbone, c.Difference.Value, c.Difference.Lower, c.Difference.Upper));
            if (result.ReferenceC.TryGetValue("oracle", out var oracle)) console.WriteLine(string.Format(inv, "oracle Harrell C {0:F3}", oracle));
            console.WriteLine($"→ {folder.Destination}");
            return 0;
        });
        return command;
    }
}
