namespace HistoPrognosis.Heatmaps;

/// <summary>The colour maps of a heatmap overlay (config values: coolwarm, warm).</summary>
public enum ColorMapKind
{
    /// <summary>Moreland's diverging blue–white–red map (2009): low blue, middle white, high red.</summary>
    Coolwarm,
    /// <summary>The red half of coolwarm (white to red): a sequential map for scores with no natural middle.</summary>
    Warm,
}

/// <summary>
/// How heatmaps are drawn (the <c>report.heatmaps</c> section of a run config, and the flags of
/// <c>histoprog heatmap</c>). Every default lives here.
/// </summary>
public sealed record HeatmapConfig
{
    public ColorMapKind ColorMap { get; init; } = ColorMapKind.Coolwarm;
    /// <summary>Opacity of the colours over the thumbnail (0 = thumbnail only, 1 = colours only).</summary>
    public double Alpha { get; init; } = 0.5;
    /// <summary>Gaussian blur of the map, σ in tile sides (0 = none: every tile one flat colour).</summary>
    public double BlurSigmaTiles { get; init; }
    /// <summary>Colour only tissue (the tissue mask of the slide or of the assembled patch canvas), not background.</summary>
    public bool ClipToTissue { get; init; } = true;
    /// <summary>Longest side of the thumbnail and overlay, px.</summary>
    public int MaxSide { get; init; } = 1024;
    /// <summary>Tiles in each row of the gallery: the k highest and the k lowest scored.</summary>
    public int TopK { get; init; } = 8;
    /// <summary>Side of a gallery cell, px.</summary>
    public int GalleryCell { get; init; } = 128;
    /// <summary>Write the QuPath GeoJSON (tiles as detections with measurements, tissue as annotations).</summary>
    public bool GeoJson { get; init; } = true;

    public void Validate()
    {
        if (Alpha is < 0 or > 1 || double.IsNaN(Alpha)) throw new UserInputException($"report.heatmaps.alpha must be in [0, 1], got {Alpha}");
        if (!(BlurSigmaTiles >= 0) || double.IsInfinity(BlurSigmaTiles)) throw new UserInputException($"report.heatmaps.blur_sigma_tiles must be ≥ 0, got {BlurSigmaTiles}");
        if (MaxSide is < 64 or > 16384) throw new UserInputException($"report.heatmaps.max_side must be in [64, 16384], got {MaxSide}");
        if (TopK is < 0 or > 100) throw new UserInputException($"report.heatmaps.top_k must be in [0, 100], got {TopK}");
        if (GalleryCell is < 16 or > 1024) throw new UserInputException($"report.heatmaps.gallery_cell must be in [16, 1024], got {GalleryCell}");
    }
}
