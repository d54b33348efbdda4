namespace HistoPrognosis.Work;

/// <summary>The per-slide stages a worker runs for each unit, in order.</summary>
public enum WorkStage
{
    Tile,
    Extract,
}
