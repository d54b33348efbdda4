namespace HistoPrognosis.Models.Vit;

/// <summary>
/// Pathology foundation models as their model cards publish them: <c>--backbone PRESET:DIR</c> with DIR the files a
/// user downloaded from the hub (config.json and the weights). A preset checks that the folder holds the
/// architecture the card names and gives the card's feature (which token or tokens make the embedding); the
/// architecture and preprocessing themselves come from the folder's config files, as timm or transformers would read them.
/// </summary>
public static class VitPresets
{
    /// <param name="Architecture">timm architecture named by the card's config.json, or <c>hf-vit</c> / <c>hf-dinov2</c> for a transformers folder</param>
    /// <param name="Source">the model card the preset follows</param>
    /// <param name="EmbedDim">transformers presets: the width the card's model has (its config names no architecture)</param>
    /// <param name="Depth">transformers presets: its number of blocks</param>
    public sealed record Preset(string Name, string Architecture, VitPooling Pooling, string Source, int EmbedDim = 0, int Depth = 0)
    {
        public bool IsTransformers => Architecture.StartsWith("hf-", StringComparison.Ordinal);
    }

    public static readonly IReadOnlyList<Preset> All =
    [
        new("uni", "vit_large_patch16_224", VitPooling.Cls, "huggingface.co/MahmoodLab/UNI (model(x): the class token, global_pool token)"),
        new("uni2-h", "vit_giant_patch14_224", VitPooling.Cls, "huggingface.co/MahmoodLab/UNI2-h (24 blocks, dim 1536, 8 registers, SwiGLUPacked; the class token)"),
        new("virchow", "vit_huge_patch14_224", VitPooling.ClsMean, "huggingface.co/paige-ai/Virchow (class token concatenated with the mean patch token, 2560-d)"),
        new("virchow2", "vit_huge_patch14_224", VitPooling.ClsMean, "huggingface.co/paige-ai/Virchow2 (4 registers; class token ++ mean of the patch tokens, registers excluded)"),
        new("h-optimus-0", "vit_giant_patch14_reg4_dinov2", VitPooling.Cls, "huggingface.co/bioptimus/H-optimus-0 (model(x): the class token)"),
        new("h-optimus-1", "vit_giant_patch14_reg4_dinov2", VitPooling.Cls, "huggingface.co/bioptimus/H-optimus-1 (model(x): the class token)"),
        new("prov-gigapath", "vit_giant_patch14_dinov2", VitPooling.Cls, "huggingface.co/prov-gigapath/prov-gigapath (tile encoder: the class token)"),
        new("phikon", "hf-vit", VitPooling.Cls, "huggingface.co/owkin/phikon (transformers ViTModel, ViT-B/16; last_hidden_state[:, 0, :])", 768, 12),
        new("phikon-v2", "hf-dinov2", VitPooling.Cls, "huggingface.co/owkin/phikon-v2 (transformers Dinov2Model, ViT-L; last_hidden_state[:, 0, :])", 1024, 24),
    ];

    public static IEnumerable<string> Names => All.Select(p => p.Name);

    public static bool IsPreset(string name) => All.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <param name="pooling">null: the card's</param>
    public static VisionTransformer Load(string name, string directory, VitPooling? pooling = null)
    {
        var preset = All.First(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (!Directory.Exists(directory)) throw new UserInputException($"--backbone {name}:{directory}: folder not found (download the model's config.json and weights there)");
        var model = preset.IsTransformers ? TransformersFolder.Load(directory, pooling ?? preset.Pooling) : TimmFolder.Load(directory, pooling ?? preset.Pooling);
        var a = model.Architecture;
        string? found = a.Name != preset.Architecture ? $"architecture '{a.Name}'"
            : preset.EmbedDim > 0 && (a.EmbedDim != preset.EmbedDim || a.Depth != preset.Depth) ? $"width {a.EmbedDim} and {a.Depth} blocks" : null;
        if (found is not null)
        {
            model.Dispose();
            var expected = preset.EmbedDim > 0 ? $"a {preset.Architecture} of width {preset.EmbedDim} with {preset.Depth} blocks" : $"a {preset.Architecture}";
            throw new UserInputException($"{Path.Combine(directory, TimmFolder.ConfigFile)}: {found}, but {name} is {expected} ({preset.Source})");
        }
        return model;
    }
}
