using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Reports;
using HistoPrognosis.Stain;
using HistoPrognosis.Studies;
using HistoPrognosis.Tiling;
using HistoPrognosis.Training;

namespace HistoPrognosis.Workflow;

/// <summary>
/// One typed run config: a section per stage, bound from one YAML or JSON file (<see cref="Load"/>), every default
/// in the section records. Every command takes it (<c>--config</c>) with its flags as overrides, and every output
/// folder gets the resolved copy (<see cref="ToYaml"/>, all defaults written out, paths absolute) so the run can be
/// repeated anywhere.
/// </summary>
public sealed record RunConfig
{
    public const string FileName = "run-config.yaml";

    /// <summary>The one seed of the run: splits, folds, initialisations and bootstraps derive from it.</summary>
    public int Seed { get; init; } = 7;
    public ComputeDeviceKind Device { get; init; } = ComputeDeviceKind.Cpu;
    public InputConfig Input { get; init; } = new();
    public TilingOptions Tiling { get; init; } = new();
    public StainConfig Stain { get; init; } = new();
    public FeatureConfig Features { get; init; } = new();
    public FinetuneConfig Finetune { get; init; } = new();
    public PrognosisConfig Model { get; init; } = new();
    public CrossvalConfig Crossval { get; init; } = new();
    public EvaluationConfig Evaluation { get; init; } = new();
    public ReportConfig Report { get; init; } = new();
    /// <summary>The prognosis-transfer study: <c>histoprog study prognosis-transfer</c>, and <c>histoprog run</c> when enabled.</summary>
    public PrognosisTransferConfig Study { get; init; } = new();

    /// <summary>The model settings as the stages use them: the run's seed applied.</summary>
    public PrognosisConfig ResolvedModel => Model with { Seed = Seed };

    /// <summary>The fine-tuning settings as the stages use them: the feature image size applied.</summary>
    public FinetuneConfig ResolvedFinetune => Finetune with { ImageSize = Features.ImageSize };

    public static RunConfig Load(string path) => ConfigBinder.Load<RunConfig>(path).WithPathsRelativeTo(Path.GetDirectoryName(Path.GetFullPath(path))!);

    /// <summary>Relative paths made absolute against <paramref name="folder"/> (a config file's folder, or the working directory for flags).</summary>
    public RunConfig WithPathsRelativeTo(string folder)
    {
        string? Full(string? path) => path is null ? null : Path.GetFullPath(Path.Combine(folder, path));
        return this with
        {
            Input = Input with { Cohort = Full(Input.Cohort), Patches = Full(Input.Patches), Slides = Full(Input.Slides), Tiles = Full(Input.Tiles) },
            Stain = Stain with { Target = Full(Stain.Target) },
            Features = Features with { Cache = Full(Features.Cache), Backbone = BackboneFactory.ResolvePaths(Features.Backbone, folder), CompareBackbone = Features.CompareBackbone is { } c ? BackboneFactory.ResolvePaths(c, folder) : null },
        };
    }

    public string ToYaml() => ConfigWriter.ToYaml(this, "histoprog run config, resolved: every default written out, paths absolute.\nRerun with: histoprog run THIS_FILE --out DIR");

    public void Write(string folder) => IO.AtomicFile.WriteAllText(Path.Combine(folder, FileName), ToYaml());

    /// <summary>Checks every section; the input is checked by the stages that read it (a command may not need patches).</summary>
    public void Validate()
    {
        Tiling.Validate();
        Stain.Validate();
        Features.Validate();
        ResolvedFinetune.Validate();
        Model.Validate();
        Crossval.Validate();
        Evaluation.Validate();
        Report.Validate();
        if (Study.Enabled) Study.Validate();
        if (Finetune.Enabled && Evaluation.Protocol == EvaluationProtocol.Crossval)
            throw new UserInputException("finetune.enabled needs evaluation.protocol: holdout (fine-tuning on every patient's patches would leak into the cross-validation folds)");
    }
}
