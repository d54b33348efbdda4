namespace HistoPrognosis.Data;

/// <summary>
/// Where a run's patients come from (the <c>input</c> section): a cohort table with follow-up, and the patches as a
/// patch table or a slide manifest (exactly one). Relative paths in a config file are relative to that file.
/// </summary>
public sealed record InputConfig
{
    /// <summary>Cohort CSV: <c>patient_id, time_months, event</c>[, clinical columns, site].</summary>
    public string? Cohort { get; init; }
    /// <summary>Patch table: <c>path, patient_id</c>[, label, x, y].</summary>
    public string? Patches { get; init; }
    /// <summary>Slide manifest: <c>patient_id, slide_path</c>[, mpp]; tiled by the slide stage (instead of patches).</summary>
    public string? Slides { get; init; }
    /// <summary>Folder for the slide stage's coordinates, masks (and tiles when saved); default: inside the run's output.</summary>
    public string? Tiles { get; init; }
    /// <summary>
    /// Simulate five-year follow-up from each patient's real tumour burden (the patch labels) instead of reading a
    /// cohort: the semi-synthetic cohort of the demo.
    /// </summary>
    public bool SimulateFollowUp { get; init; }
    /// <summary>Use only the first N patients of the patch table in stable order (0 = all): quick runs.</summary>
    public int MaxPatients { get; init; }
    /// <summary>Skip cohort patients without patches instead of failing.</summary>
    public bool AllowMissing { get; init; }
    /// <summary>A slide that cannot be read or tiled is recorded in the run's <c>failures.csv</c> and left out instead of stopping the run.</summary>
    public bool SkipErrors { get; init; }
    /// <summary>
    /// Largest patch image decoded whole, in pixels (width × height, checked from the header before any pixel is
    /// decoded): 100 megapixels by default, a 10,000² image or 300 MB as RGB. Slides are read by region and never
    /// decoded whole, so this bounds only image files named in a patch table.
    /// </summary>
    public long MaxImagePixels { get; init; } = Imaging.ImageCodec.DefaultMaxPixels;

    /// <summary>
    /// The patches of this input: <see cref="Patches"/> as given, or <see cref="Slides"/> tiled by the slide stage
    /// into <see cref="Tiles"/> (else <paramref name="defaultTiles"/>) and read as slide regions. With
    /// <see cref="SkipErrors"/> a slide that cannot be read is added to <paramref name="failures"/> and left out.
    /// With <see cref="MaxPatients"/>, only the table's first N patients (for every command, not only <c>run</c>).
    /// </summary>
    public PatchTable LoadPatches(Tiling.TilingOptions tiling, string defaultTiles, PipelineLog log, bool requireLabel = false,
        ICollection<SlideFailure>? failures = null)
    {
        Validate();
        var table = Patches is { } patches
            ? PatchTable.Load(patches, requireLabel, MaxImagePixels)
            : SlideManifest.Tile(Slides!, Tiles ?? defaultTiles, tiling, log, SkipErrors ? failures ?? [] : null);
        return MaxPatients > 0 ? table.Subset(table.PatientIds.Take(MaxPatients)) : table;
    }

    /// <summary>With <see cref="MaxPatients"/>, the cohort's patients among the table's first N (the others were left out on purpose, not missing).</summary>
    public Data.Cohort Restrict(Data.Cohort cohort, PatchTable table) => MaxPatients > 0 ? cohort.Subset(table.PatientIds) : cohort;

    public void Validate()
    {
        if ((Patches is null) == (Slides is null)) throw new UserInputException("give the patches as exactly one of --patches TABLE (input.patches) or --slides MANIFEST (input.slides)");
        if (MaxPatients < 0) throw new UserInputException($"input.max_patients must be ≥ 0, got {MaxPatients}");
        if (MaxImagePixels < 1) throw new UserInputException($"input.max_image_pixels (--max-image-pixels) must be ≥ 1, got {MaxImagePixels}");
        if (SimulateFollowUp && Cohort is not null) throw new UserInputException("input: give either input.cohort or input.simulate_follow_up, not both");
        if (SimulateFollowUp && Slides is not null) throw new UserInputException("input.simulate_follow_up needs patch labels (input.patches with a label column), not slides");
    }
}
