namespace HistoPrognosis.Models.Vit;

/// <summary>
/// Pathology foundation models as their model cards publish them: <c>--backbone PRESET:DIR</c> with DIR the files a
/// user downloaded from the hub (config.json and the weights). A preset checks that the folder holds the
/// architecture the card names and gives the card's feature (which token or tokens make the embedding); the
/// architecture and preprocessing themselves come from the folder's config.json, as timm would read them.
/// </summary>
public static class VitPresets
{
    /// <param name="Architecture">timm architecture named by the card's config.json</param>
    /// <param name="Source">the model card the preset follows</param>
    public sealed record Preset(string Name, string Architecture, VitPooling Pooling, string Source);

    public static readonly IReadOnlyList<Preset> All =
    [
        new("uni", "vit_large_patch16_224", VitPooling.Cls, "huggingface.co/MahmoodLab/UNI (model(x): the class token, global_pool token)"),
        new("uni2-h", "vit_giant_patch14_224", VitPooling.Cls, "huggingface.co/MahmoodLab/UNI2-h (24 blocks, dim 1536, 8 registers, SwiGLUPacked; the class token)"),
        new("virchow", "vit_huge_patch14_224", VitPooling.ClsMean, "huggingface.co/paige-ai/Virchow (class token concatenated with the mean patch token, 2560-d)"),
        new("virchow2", "vit_huge_patch14_224", VitPooling.ClsMean, "huggingface.co/paige-ai/Virchow2 (4 registers; class token ++ mean of the patch tokens, registers excluded)"),
        new("h-optimus-0", "vit_giant_patch14_reg4_dinov2", VitPooling.Cls, "huggingface.co/bioptimus/H-optimus-0 (model(x): the class token)"),
        new("h-optimus-1", "vit_giant_patch14_reg4_dinov2", VitPooling.Cls, "huggingface.co/bioptimus/H-optimus-1 (model(x): the class token)"),
        new("prov-gigapath", "vit_giant_patch14_dinov2", VitPooling.Cls, "huggingface.co/prov-gigapath/prov-gigapath (tile encoder: the class token)"),
    ];

    /// <summary>Hugging Face transformers layouts, named so that the error says what is missing rather than "unknown".</summary>
    private static readonly string[] TransformersLayouts = ["phikon", "phikon-v2"];

    public static bool IsPreset(string name) =>
        All.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) || TransformersLayouts.Contains(name.ToLowerInvariant());

    public static VisionTransformer Load(string name, string directory)
    {
        if (TransformersLayouts.Contains(name.ToLowerInvariant()))
            throw new UserInputException($"--backbone {name}:{directory}: {name} is published in the Hugging Face transformers layout (ViTModel/Dinov2Model), which HistoPrognosis does not read yet; a timm folder of the same weights works as --backbone DIR");
        var preset = All.First(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (!Directory.Exists(directory)) throw new UserInputException($"--backbone {name}:{directory}: folder not found (download the model's config.json and weights there)");
        var model = TimmFolder.Load(directory, preset.Pooling);
        if (model.Architecture.Name != preset.Architecture)
        {
            var found = model.Architecture.Name;
            model.Dispose();
            throw new UserInputException($"{Path.Combine(directory, TimmFolder.ConfigFile)}: architecture '{found}', but {name} is a {preset.Architecture} ({preset.Source})");
        }
        return model;
    }
}
