using System.CommandLine;
using HistoPrognosis.Configuration;
using HistoPrognosis.Data;
using HistoPrognosis.IO;
using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Stain;
using HistoPrognosis.Studies;
using HistoPrognosis.Training;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli;

/// <summary>Which sections of the run config a command exposes as flags.</summary>
[Flags]
public enum ConfigFlags
{
    None = 0,
    Cohort = 1,
    Patches = 2,
    Tiling = 4,
    Features = 8,
    Model = 16,
    Crossval = 32,
    Evaluation = 64,
    Finetune = 128,
    Compute = 256,
    /// <summary>Only <c>--seed</c> (what <see cref="Compute"/> adds without <c>--device</c>).</summary>
    Seed = 512,
    /// <summary>The prognosis-transfer study's section (<c>study</c>).</summary>
    Study = 1024,
}

/// <summary>
/// <c>--config FILE</c> and the flags that override its values, built once for every command that takes them (so
/// train and crossval share one definition of each option). No flag has a default of its own: an absent flag leaves
/// the config's value, and the config's absent key the record's default, which the help text shows.
/// </summary>
public sealed class RunConfigOptions
{
    private static readonly RunConfig Defaults = new();
    private readonly ConfigFlags _flags;
    private readonly List<Func<ParseResult, RunConfig, RunConfig>> _apply = [];

    public Option<string?> Config { get; } = new("--config") { Description = "run config (YAML or JSON; see `histoprog config show`); flags override its values" };

    public RunConfigOptions(ConfigFlags flags) => _flags = flags;

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        if (Has(ConfigFlags.Compute | ConfigFlags.Seed))
            Add(command, new Option<int?>("--seed") { Description = $"the run's seed (default {Defaults.Seed})" }, (c, v) => c with { Seed = v });
        if (Has(ConfigFlags.Compute))
        {
            Add(command, new Option<string?>("--device") { Description = $"{ConfigNames.Choices<ComputeDeviceKind>()} (default {ConfigNames.Value(Defaults.Device)})" },
                (c, v) => c with { Device = ConfigNames.Parse<ComputeDeviceKind>(v, "--device") });
        }
        if (Has(ConfigFlags.Cohort))
        {
            AddPath(command, "--cohort", "cohort CSV: patient_id, time_months, event[, clinical columns, site]", (c, v) => c with { Input = c.Input with { Cohort = v } });
            AddSwitch(command, "--allow-missing", "skip cohort patients without patches instead of failing", c => c with { Input = c.Input with { AllowMissing = true } });
        }
        if (Has(ConfigFlags.Patches))
        {
            AddPath(command, "--patches", "patch table: path, patient_id[, label, x, y]", (c, v) => c with { Input = c.Input with { Patches = v } });
            AddPath(command, "--slides", "slide manifest: patient_id, slide_path[, mpp] (tiled by the slide stage; instead of --patches)", (c, v) => c with { Input = c.Input with { Slides = v } });
            AddPath(command, "--tiles", "with --slides: folder for the slide stage's coordinates and masks", (c, v) => c with { Input = c.Input with { Tiles = v } });
            AddSwitch(command, "--skip-errors", "with --slides: record a slide that cannot be read in failures.csv and go on without it", c => c with { Input = c.Input with { SkipErrors = true } });
            Add(command, new Option<int?>("--max-patients") { Description = "only the first N patients of the patch table (0 = all)" }, (c, v) => c with { Input = c.Input with { MaxPatients = v } });
            Add(command, new Option<long?>("--max-image-pixels") { Description = $"largest patch image decoded, width × height from its header (default {Defaults.Input.MaxImagePixels:N0})" },
                (c, v) => c with { Input = c.Input with { MaxImagePixels = v } });
        }
        if (Has(ConfigFlags.Tiling))
        {
            Add(command, new Option<double?>("--mpp") { Description = $"with --slides: tile µm per pixel (default {Defaults.Tiling.TargetMpp})" }, (c, v) => c with { Tiling = c.Tiling with { TargetMpp = v } });
            Add(command, new Option<int?>("--tile-size") { Description = $"with --slides: tile side in px at --mpp (default {Defaults.Tiling.TileSize})" }, (c, v) => c with { Tiling = c.Tiling with { TileSize = v } });
            Add(command, new Option<double?>("--slide-mpp") { Description = "with --slides: level-0 µm/px for slides that do not state it" }, (c, v) => c with { Tiling = c.Tiling with { SlideMpp = v } });
            AddSwitch(command, "--save-tiles", "with --slides: also write every kept tile as PNG", c => c with { Tiling = c.Tiling with { SaveTiles = true } });
            var t = Defaults.Tiling;
            Add(command, new Option<int?>("--overlap") { Description = $"overlap between neighbouring tiles, px at --mpp (default {t.Overlap})" }, (c, v) => c with { Tiling = c.Tiling with { Overlap = v } });
            Add(command, new Option<double?>("--min-tissue") { Description = $"minimum tissue fraction (from the mask) to read a tile (default {t.MinTissueFraction})" },
                (c, v) => c with { Tiling = c.Tiling with { MinTissueFraction = v } });
            Add(command, new Option<double?>("--max-background") { Description = $"drop tiles with more than this fraction of background pixels (default {t.Qc.MaxBackgroundFraction})" },
                (c, v) => c with { Tiling = c.Tiling with { Qc = c.Tiling.Qc with { MaxBackgroundFraction = v } } });
            Add(command, new Option<double?>("--blur-threshold") { Description = $"drop tiles whose variance of the Laplacian is below this (0 disables; default {t.Qc.BlurThreshold})" },
                (c, v) => c with { Tiling = c.Tiling with { Qc = c.Tiling.Qc with { BlurThreshold = v } } });
            Add(command, new Option<string?>("--backend") { Description = $"slide reader: {ConfigNames.Choices<Slides.SlideBackend>()} (default {ConfigNames.Value(t.Backend)})" },
                (c, v) => c with { Tiling = c.Tiling with { Backend = ConfigNames.Parse<Slides.SlideBackend>(v, "--backend") } });
        }
        if (Has(ConfigFlags.Features))
        {
            Add(command, new Option<string?>("--backbone") { Description = $"{BackboneFactory.ImageNet} | {BackboneFactory.Scratch} | resnet18|resnet34|resnet50[:FILE.safetensors] | a timm or transformers ViT folder | PRESET:FOLDER (uni, virchow2, phikon, …) | a finetune folder (default {Defaults.Features.Backbone})" },
                (c, v) => c with { Features = c.Features with { Backbone = BackboneFactory.ResolvePaths(v, Environment.CurrentDirectory) } });
            // After --backbone: the pooling travels in the spec (BackboneFactory.PoolSuffix), so manifests and caches know it.
            Add(command, new Option<string?>("--pool") { Description = "ViT backbones: the tokens that make the feature, cls | mean | cls+mean (default: the model's; same as appending #pool=… to --backbone)" },
                (c, v) => c with { Features = c.Features with { Backbone = BackboneFactory.WithPool(c.Features.Backbone, Models.Vit.VisionTransformer.ParsePooling(v, "--pool")) } });
            Add(command, new Option<int?>("--image-size") { Description = $"patch side fed to the backbone, px (default {Defaults.Features.ImageSize})" }, (c, v) => c with { Features = c.Features with { ImageSize = v } });
            AddPath(command, "--feature-cache", "feature cache folder (default ~/.local/share/histoprog/features)", (c, v) => c with { Features = c.Features with { Cache = v } });
            Add(command, new Option<string?>("--stain") { Description = $"normalize every patch before the backbone: {ConfigNames.Choices<StainMethod>()} (default {ConfigNames.Value(Defaults.Stain.Method)})" },
                (c, v) => c with { Stain = c.Stain with { Method = ConfigNames.Parse<StainMethod>(v, "--stain") } });
            AddPath(command, "--stain-target", "with --stain: the 8-bit RGB target image", (c, v) => c with { Stain = c.Stain with { Target = v } });
        }
        if (Has(ConfigFlags.Crossval))
        {
            Add(command, new Option<string?>("--compare-backbone") { Description = "also train every model on this backbone's features (e.g. scratch) and report the paired bootstrap difference of C" },
                (c, v) => c with { Features = c.Features with { CompareBackbone = BackboneFactory.ResolvePaths(v, Environment.CurrentDirectory) } });
            Add(command, new Option<int?>("--folds") { Description = $"patient-level folds, stratified by event and site (default {Defaults.Crossval.Folds})" }, (c, v) => c with { Crossval = c.Crossval with { Folds = v } });
            Add(command, new Option<string?>("--aggregators") { Description = $"comma-separated, compared arm by arm: {ConfigNames.Choices<MilAggregatorKind>()} (default: --aggregator alone)" },
                (c, v) => c with { Crossval = c.Crossval with { Aggregators = List(v).Select(a => ConfigNames.Parse<MilAggregatorKind>(a, "--aggregators")).ToArray() } });
        }
        if (Has(ConfigFlags.Evaluation))
            Add(command, new Option<int?>("--bootstrap") { Description = $"bootstrap resamples for the 95% intervals (0 = none; default {Defaults.Evaluation.BootstrapSamples})" },
                (c, v) => c with { Evaluation = c.Evaluation with { BootstrapSamples = v } });
        if (Has(ConfigFlags.Model))
        {
            var m = Defaults.Model;
            Add(command, new Option<string?>("--aggregator") { Description = $"{ConfigNames.Choices<MilAggregatorKind>()} (default {ConfigNames.Value(m.Aggregator)})" },
                (c, v) => c with { Model = c.Model with { Aggregator = ConfigNames.Parse<MilAggregatorKind>(v, "--aggregator") } });
            Add(command, new Option<string?>("--loss") { Description = $"{ConfigNames.Choices<SurvivalLoss>()} (default {ConfigNames.Value(m.Loss)})" },
                (c, v) => c with { Model = c.Model with { Loss = ConfigNames.Parse<SurvivalLoss>(v, "--loss") } });
            Add(command, new Option<string?>("--clinical") { Description = "comma-separated cohort columns fused with the image (numeric standardised, others one-hot)" },
                (c, v) => c with { Model = c.Model with { Clinical = List(v) } });
            Add(command, new Option<string?>("--fusion") { Description = $"{ConfigNames.Choices<FusionMode>()}, with --clinical (default {ConfigNames.Value(m.Fusion)})" },
                (c, v) => c with { Model = c.Model with { Fusion = ConfigNames.Parse<FusionMode>(v, "--fusion") } });
            Add(command, new Option<string?>("--censoring") { Description = $"binary5y: {ConfigNames.Choices<CensoringHandling>()} for patients censored before 5 years (default {ConfigNames.Value(m.Censoring)})" },
                (c, v) => c with { Model = c.Model with { Censoring = ConfigNames.Parse<CensoringHandling>(v, "--censoring") } });
            Add(command, new Option<int?>("--time-bins") { Description = $"nll: time bins (quantiles of event times; default {m.TimeBins})" }, (c, v) => c with { Model = c.Model with { TimeBins = v } });
            Add(command, new Option<int?>("--epochs") { Description = $"MIL epochs (default {m.Mil.Epochs})" }, (c, v) => c with { Model = c.Model with { Mil = c.Model.Mil with { Epochs = v } } });
            Add(command, new Option<double?>("--lr") { Description = $"MIL learning rate (default {m.Mil.LearningRate})" }, (c, v) => c with { Model = c.Model with { Mil = c.Model.Mil with { LearningRate = v } } });
            Add(command, new Option<int?>("--pca") { Description = $"principal components of the patch features fed to the MIL network (0 = all; default {m.Mil.PcaComponents})" },
                (c, v) => c with { Model = c.Model with { Mil = c.Model.Mil with { PcaComponents = v } } });
            Add(command, new Option<double?>("--validation-fraction") { Description = $"share of the training patients that picks the epoch (0 = train to the end; default {m.ValidationFraction})" },
                (c, v) => c with { Model = c.Model with { ValidationFraction = v } });
        }
        if (Has(ConfigFlags.Study))
        {
            var st = Defaults.Study;
            static string Sizes(IEnumerable<int> sizes) => string.Join(",", sizes.Select(n => n == 0 ? "all" : n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Add(command, new Option<string?>("--sizes") { Description = $"study: training patients per run, comma-separated; 'all' = every patient left after the test split (default {Sizes(st.Sizes)})" },
                (c, v) => c with { Study = c.Study with { Sizes = List(v).Select(t => t == "all" ? 0 : int.TryParse(t, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : throw new UserInputException($"--sizes: '{t}' is not a whole number or 'all'")).ToArray() } });
            Add(command, new Option<int?>("--repeats") { Description = $"study: draws of training patients per size (default {st.Repeats})" }, (c, v) => c with { Study = c.Study with { Repeats = v } });
            Add(command, new Option<string?>("--arms") { Description = $"study: comma-separated, scratch-end-to-end required: {string.Join(", ", Enum.GetValues<PrognosisArm>().Select(PrognosisTransferStudy.Name))} (default {string.Join(",", st.Arms.Select(PrognosisTransferStudy.Name))})" },
                (c, v) => c with { Study = c.Study with { Arms = List(v).Select(PrognosisTransferStudy.ParseArm).ToArray() } });
            Add(command, new Option<double?>("--test-fraction") { Description = $"study: share of patients held out once as its test patients, stratified by event (default {st.TestFraction})" },
                (c, v) => c with { Study = c.Study with { TestFraction = v } });
            Add(command, new Option<int?>("--study-head-steps") { Description = "study: head-only steps of every arm (default: --head-steps)" }, (c, v) => c with { Study = c.Study with { HeadOnlySteps = v } });
            Add(command, new Option<int?>("--study-full-steps") { Description = "study: steps after the head-only phase of every arm (default: --full-steps)" }, (c, v) => c with { Study = c.Study with { FullSteps = v } });
        }
        if (Has(ConfigFlags.Finetune))
        {
            var f = Defaults.Finetune;
            Add(command, new Option<string?>("--policy") { Description = $"{ConfigNames.Choices<FinetunePolicy>()} (default {ConfigNames.Value(f.Policy)})" },
                (c, v) => c with { Finetune = c.Finetune with { Policy = ConfigNames.Parse<FinetunePolicy>(v, "--policy") } });
            Add(command, new Option<int?>("--head-steps") { Description = $"optimizer steps on the head with the backbone frozen (default {f.HeadOnlySteps})" }, (c, v) => c with { Finetune = c.Finetune with { HeadOnlySteps = v } });
            Add(command, new Option<int?>("--full-steps") { Description = $"optimizer steps on the unfrozen layers (default {f.FullSteps})" }, (c, v) => c with { Finetune = c.Finetune with { FullSteps = v } });
            Add(command, new Option<int?>("--batch") { Description = $"batch size (default {f.BatchSize})" }, (c, v) => c with { Finetune = c.Finetune with { BatchSize = v } });
            Add(command, new Option<double?>("--head-lr") { Description = $"head learning rate (default {f.HeadLearningRate})" }, (c, v) => c with { Finetune = c.Finetune with { HeadLearningRate = v } });
            Add(command, new Option<double?>("--scratch-lr") { Description = $"learning rate of every layer under the scratch policy (default {f.ScratchLearningRate})" }, (c, v) => c with { Finetune = c.Finetune with { ScratchLearningRate = v } });
            Add(command, new Option<double?>("--layer-decay") { Description = $"learning-rate factor per stage away from the head (default {f.LayerDecay})" }, (c, v) => c with { Finetune = c.Finetune with { LayerDecay = v } });
            Add(command, new Option<double?>("--vit-layer-decay") { Description = $"ViT backbones: learning-rate factor per block away from the head (default {f.VitLayerDecay})" }, (c, v) => c with { Finetune = c.Finetune with { VitLayerDecay = v } });
            Add(command, new Option<int?>("--freeze-first") { Description = $"discriminative and gradual: backbone stages from the input side that never train (ViT: embed, blocks.0, …; default {f.FreezeFirst})" }, (c, v) => c with { Finetune = c.Finetune with { FreezeFirst = v } });
            Add(command, new Option<int?>("--lora-rank") { Description = $"lora policy: rank of each adapter (default {f.Lora.Rank})" }, (c, v) => c with { Finetune = c.Finetune with { Lora = c.Finetune.Lora with { Rank = v } } });
            Add(command, new Option<double?>("--lora-alpha") { Description = $"lora policy: update scale alpha / rank (default alpha {f.Lora.Alpha})" }, (c, v) => c with { Finetune = c.Finetune with { Lora = c.Finetune.Lora with { Alpha = v } } });
            Add(command, new Option<double?>("--lora-dropout") { Description = $"lora policy, ViTs: dropout on each adapter's input while training (default {f.Lora.Dropout})" }, (c, v) => c with { Finetune = c.Finetune with { Lora = c.Finetune.Lora with { Dropout = v } } });
            AddSwitch(command, "--lora-mlp", "lora policy, ViTs: adapters on the MLP layers too, not only attention's qkv and proj", c => c with { Finetune = c.Finetune with { Lora = c.Finetune.Lora with { Mlp = true } } });
            Add(command, new Option<string?>("--augment") { Description = $"training augmentation: flips, hed[:σ], color[:x], stain[:σ], comma-separated, or none (default {f.Augment})" }, (c, v) => c with { Finetune = c.Finetune with { Augment = v } });
        }
    }

    /// <summary>The run config of this invocation: the file (or <paramref name="baseline"/>, or the defaults), then every given flag on top.</summary>
    public RunConfig Bind(ParseResult parse, RunConfig? baseline = null, string? file = null)
    {
        file ??= parse.GetValue(Config);
        var config = file is null ? baseline ?? new RunConfig() : RunConfig.Load(file);
        foreach (var apply in _apply) config = apply(parse, config);
        return config;
    }

    private bool Has(ConfigFlags flag) => (_flags & flag) != 0;

    private void Add<T>(Command command, Option<T?> option, Func<RunConfig, T, RunConfig> apply) where T : struct
    {
        command.Options.Add(option);
        _apply.Add((parse, config) => parse.GetValue(option) is T value ? apply(config, value) : config);
    }

    private void Add(Command command, Option<string?> option, Func<RunConfig, string, RunConfig> apply)
    {
        command.Options.Add(option);
        _apply.Add((parse, config) => parse.GetValue(option) is { } value ? apply(config, value) : config);
    }

    private void AddPath(Command command, string name, string description, Func<RunConfig, string, RunConfig> apply) =>
        Add(command, new Option<string?>(name) { Description = description }, (c, v) => apply(c, Path.GetFullPath(v)));

    private void AddSwitch(Command command, string name, string description, Func<RunConfig, RunConfig> apply)
    {
        var option = new Option<bool>(name) { Description = description };
        command.Options.Add(option);
        _apply.Add((parse, config) => parse.GetValue(option) ? apply(config) : config);
    }

    private static string[] List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>What the prognosis commands share once their config is bound: the patch table and the cohort.</summary>
public static class RunInputs
{
    /// <summary>The patch table: input.patches as given, or the tiles of input.slides read straight from the slides (tiled now, or reused).</summary>
    public static PatchTable Patches(RunConfig config, PipelineLog log, bool requireLabel = false) =>
        config.Input.LoadPatches(config.Tiling, config.Input.Slides is { } slides ? DefaultTiles(slides, config.Tiling.SettingsKey()) : "", log, requireLabel);

    /// <summary>The bound and checked config of a modelling command, its cohort with follow-up and where its features come from.</summary>
    public static (RunConfig Config, Cohort Cohort, FeatureSource Source) ForModelling(RunConfigOptions options, ParseResult parse, PipelineLog log)
    {
        var config = options.Bind(parse);
        config.Validate();
        if (config.Input.SimulateFollowUp)
            throw new UserInputException("input.simulate_follow_up is a step of histoprog run; for this command simulate the cohort first (histoprog simulate) and give it as --cohort");
        var table = Patches(config, log);
        var cohort = config.Input.Restrict(Cohort(config, requireOutcome: true), table);
        return (config, cohort, FeatureSource.Of(table, config.Features, config.Stain, config.Seed));
    }

    public static Cohort Cohort(RunConfig config, bool requireOutcome) =>
        HistoPrognosis.Data.Cohort.Load(config.Input.Cohort ?? throw new UserInputException("no cohort: give --cohort CSV or input.cohort in the config"), requireOutcome);

    // One folder per manifest and tiling settings, so another --mpp or --tile-size never reuses stale tiles.
    private static string DefaultTiles(string manifest, string tilingKey)
    {
        var key = StageRunner.Key(Path.GetFullPath(manifest), tilingKey)[..12];
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
            "histoprog", "tiles", $"{FileNames.Fit(Path.GetFileNameWithoutExtension(manifest), key.Length + 1)}-{key}");
    }
}
