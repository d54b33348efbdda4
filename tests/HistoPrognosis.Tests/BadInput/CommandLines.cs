namespace HistoPrognosis.Tests.BadInput;

/// <summary>
/// The argument list of each command for a case's inputs, at the smallest settings that still run the real code: the
/// random-weight backbone at 32 px, one MIL epoch, one fine-tuning step, no bootstrap.
/// </summary>
public static class CommandLines
{
    private static readonly string[] Features = ["--backbone", "scratch", "--image-size", "32"];

    public static IReadOnlyList<string> For(Command command, CaseFolder folder, Inputs inputs, string? model)
    {
        var ws = folder.Workspace;
        var cohort = inputs.Cohort ?? ws.Cohort;
        string[] patches = inputs.Slides is { } slides
            ? ["--slides", slides, "--tiles", Path.Combine(folder.Path, "tiles"), "--mpp", "2", "--tile-size", "64"]
            : ["--patches", inputs.Patches ?? ws.Patches];
        string[] config = inputs.Config is { } c ? ["--config", c] : [];
        string[] args = command switch
        {
            Command.Tile => ["tile", inputs.Image!, "--out", folder.Out, "--mpp", "1", "--tile-size", "32", "--slide-mpp", "1", .. config],
            Command.Extract => ["extract", .. patches, .. Features, "--feature-cache", folder.Cache, .. config],
            Command.StainInput => ["stain", "normalize", "--method", "reinhard", "--target", ws.Target, "--out", folder.Out, inputs.Image ?? ws.Target, .. config],
            Command.StainTarget => ["stain", "normalize", "--method", "reinhard", "--target", inputs.Image ?? ws.Target, "--out", folder.Out, ws.Target, .. config],
            Command.Finetune => ["finetune", .. patches, .. Features, "--head-steps", "1", "--full-steps", "1", "--batch", "4", "--out", folder.Out, .. config],
            Command.Train => ["train", "--cohort", cohort, .. patches, .. Features, "--epochs", "1", "--feature-cache", folder.Cache, "--out", folder.Out, .. config],
            Command.Predict => ["predict", "--model", model!, "--cohort", cohort, .. patches, "--feature-cache", folder.Cache, "--out", Path.Combine(folder.Path, "risks.csv"), .. config],
            Command.Crossval => ["crossval", "--cohort", cohort, .. patches, .. Features, "--epochs", "1", "--folds", $"{inputs.Folds}", "--bootstrap", "0",
                "--feature-cache", folder.Cache, "--out", folder.Out, .. config],
            Command.Evaluate => ["evaluate", "--cohort", cohort, "--risks", inputs.Risks ?? ws.Risks, "--bootstrap", "0", "--out", folder.Out, .. config],
            Command.Stats => ["stats", "cindex", "--input", cohort, "--time", "time_months", "--event", "event", "--risk", "age", "--json"],
            Command.Run => ["run", inputs.Config ?? RunConfig(folder, cohort, inputs), "--out", folder.Out],
            Command.ConfigValidate => ["config", "validate", inputs.Config!],
            Command.ConfigShow => ["config", "show", inputs.Config!],
            _ => throw new ArgumentOutOfRangeException(nameof(command)),
        };
        return [.. args, .. inputs.Extra ?? []];
    }

    /// <summary>The run config of a case: its cohort and patches (or slides), the smallest settings, 2-fold cross-validation.</summary>
    private static string RunConfig(CaseFolder folder, string cohort, Inputs inputs)
    {
        string source = inputs.Slides is { } slides ? $"slides: '{slides}', tiles: tiles" : $"patches: '{inputs.Patches ?? folder.Workspace.Patches}'";
        return folder.Text("run.yaml", $$$"""
            input: {cohort: '{{{cohort}}}', {{{source}}}}
            tiling: {target_mpp: 2, tile_size: 64}
            features: {backbone: scratch, image_size: 32, cache: cache}
            model: {mil: {epochs: 1}}
            crossval: {folds: 2}
            evaluation: {bootstrap_samples: 0}
            """);
    }
}
