using System.CommandLine;
using System.Globalization;
using HistoPrognosis.IO;
using HistoPrognosis.Models;
using HistoPrognosis.Studies;
using HistoPrognosis.Survival;

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
            CrossValidation.Folds(PrognosisPipeline.WithPatches(cohort, source.Patches, config.Input.AllowMissing, PipelineLog.Silent), config.Crossval, config.ResolvedModel); // before LibTorch loads
            using var folder = new OutputFolder(parse.GetValue(output)!);
            var result = new CrossValidation(ComputeDevice.Resolve(config.Device), log).Run(cohort, source, config.Crossval, config.ResolvedModel,
                config.Evaluation, config.Features.CompareBackbone, folder.Path, config.Input.AllowMissing);
            config.Write(folder.Path);
            folder.Commit();
            var inv = CultureInfo.InvariantCulture;
            var console = parse.InvocationConfiguration.Output;
            static string Pm(double? mean, double? sd) => mean is not double m ? "undefined" : sd is double s ? string.Format(CultureInfo.InvariantCulture, "{0:F3} ± {1:F3}", m, s) : m.ToString("F3", CultureInfo.InvariantCulture);
            foreach (var a in result.Arms)
                console.WriteLine(string.Format(inv, "{0,-20} Harrell C {1}, Uno C {2}; pooled {3}", a.Name, Pm(a.HarrellMean, a.HarrellSd), Pm(a.UnoMean, a.UnoSd), a.PooledHarrell.Format()));
            foreach (var c in result.BackboneComparisons ?? [])
                console.WriteLine(string.Format(inv, "{0,-20} {1} − {2}: {3}", c.Model, result.Backbone, result.ComparisonBackbone, Estimate.Format(c.Difference, "+0.000;-0.000")));
            if (result.ReferenceC.TryGetValue("oracle", out var oracle)) console.WriteLine(string.Format(inv, "oracle Harrell C {0:F3}", oracle));
            foreach (var w in result.Warnings) console.WriteLine($"warning: {w}");
            console.WriteLine($"→ {folder.Destination}");
            return 0;
        });
        return command;
    }
}
