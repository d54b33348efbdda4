namespace HistoPrognosis.Tests.BadInput;

/// <summary>The commands a hostile input is sent through (see <c>histoprog --help</c>).</summary>
public enum Command
{
    Tile,
    Extract,
    StainInput,
    StainTarget,
    Finetune,
    Train,
    Predict,
    Crossval,
    Evaluate,
    Stats,
    Run,
    ConfigValidate,
    ConfigShow,
}

/// <summary>What a failed command may leave in its case folder.</summary>
public enum Leaves
{
    /// <summary>Nothing: every file and folder of the case is as it was before (the --out folder absent).</summary>
    Nothing,
    /// <summary><c>histoprog run</c>: a resumable run (its config and finished stages), never results, a summary or a partial file.</summary>
    ResumableRun,
}

/// <summary>
/// The inputs of one invocation; what a case leaves null is the workspace's valid input. <see cref="Image"/> is the
/// hostile image of the stain and tile commands; <see cref="Extra"/> are further arguments; <see cref="Folds"/> those of crossval.
/// </summary>
public sealed record Inputs(string? Patches = null, string? Cohort = null, string? Risks = null, string? Config = null, string? Slides = null,
    string? Image = null, IReadOnlyList<string>? Extra = null, int Folds = 2);

/// <summary>One case's own folder under the suite's workspace: its hostile files, its outputs.</summary>
public sealed class CaseFolder(string path, Workspace workspace)
{
    public string Path { get; } = path;
    public Workspace Workspace { get; } = workspace;
    public string Out => System.IO.Path.Combine(Path, "out");
    public string Cache => System.IO.Path.Combine(Path, "cache");

    public string Bytes(string name, byte[] content)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(file, content);
        return file;
    }

    public string Text(string name, string content)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, content);
        return file;
    }

    /// <summary>A patch table: the hostile patch (for patient A, label 1) in row 2, then the workspace's good patches.</summary>
    public string PatchTableWith(string hostilePath) =>
        Text("patches.csv", string.Join('\n', ["path,patient_id,label", $"{hostilePath},A,1", .. Workspace.GoodPatchRows]) + "\n");

    /// <summary>A fragment of an expected message with {dir} (this folder) and {ws} (the workspace) filled in.</summary>
    public string Expand(string fragment) => fragment.Replace("{dir}", Path).Replace("{ws}", Workspace.Root);
}

/// <summary>
/// One hostile input through one command: how to write the input and invoke the command, the exit code and message
/// fragments expected (in stderr for a refusal, in the output for an acceptance), what a failure may leave, the bound on
/// the child's peak memory, and an optional check of what an accepted input produced.
/// </summary>
public sealed record BadInputCase(string Input, Command Command, Func<CaseFolder, Inputs> Write, int Exit, IReadOnlyList<string> Messages)
{
    /// <summary>
    /// Peak RSS bound for every case: below the 1.2 GB that decoding one 20,000² RGB image alone would take (the smallest
    /// header claim here), and about twice what a command that loads LibTorch and builds the ResNet18 peaks at (~450 MB).
    /// </summary>
    public const long DefaultMaxRssMb = 1000;

    public string Name => $"{Input} / {Command.ToString().ToLowerInvariant()}";
    public Leaves Leaves { get; init; } = Command == Command.Run ? Leaves.ResumableRun : Leaves.Nothing;
    public long MaxRssMb { get; init; } = DefaultMaxRssMb;
    public Action<CaseFolder, ChildResult>? Check { get; init; }
    public bool NeedsModel => Command == Command.Predict;
}
