namespace HistoPrognosis.Work;

/// <summary>
/// The per-slide stages a worker runs for each unit, in order: the slide stages (tile, extract) and, given a saved
/// MIL model, the model stages (predict, heatmap) that read the unit's cached features.
/// </summary>
public enum WorkStage
{
    Tile,
    Extract,
    Predict,
    Heatmap,
}

public static class WorkStages
{
    /// <summary>The stages that need a model (<c>--model</c>).</summary>
    public static bool NeedsModel(this WorkStage stage) => stage is WorkStage.Predict or WorkStage.Heatmap;

    public static string Name(this WorkStage stage) => stage.ToString().ToLowerInvariant();

    /// <summary>
    /// <c>--stages tile,extract,predict,heatmap</c> in pipeline order; absent: tile and extract, and with a model
    /// predict and heatmap too. A model stage without a model is an error.
    /// </summary>
    public static IReadOnlyList<WorkStage> Parse(string? text, bool haveModel)
    {
        if (string.IsNullOrWhiteSpace(text))
            return haveModel ? Enum.GetValues<WorkStage>() : [WorkStage.Tile, WorkStage.Extract];
        var chosen = new HashSet<WorkStage>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var stage = Enum.GetValues<WorkStage>().Where(s => s.Name() == part.ToLowerInvariant()).Cast<WorkStage?>().FirstOrDefault()
                ?? throw new UserInputException($"--stages: unknown stage '{part}' (choose from {string.Join(", ", Enum.GetValues<WorkStage>().Select(Name))})");
            chosen.Add(stage);
        }
        if (chosen.Count == 0) throw new UserInputException("--stages: name at least one stage (tile, extract, predict, heatmap)");
        if (!haveModel && Enum.GetValues<WorkStage>().Where(s => chosen.Contains(s) && s.NeedsModel()).ToList() is [var m, ..])
            throw new UserInputException($"--stages {m.Name()} needs --model MODEL_DIR (a model written by histoprog train)");
        return Enum.GetValues<WorkStage>().Where(chosen.Contains).ToList();
    }
}
