using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>
/// Builds a backbone from its command-line spelling: <c>imagenet-resnet18</c> (the shipped CNTK weights),
/// <c>scratch</c> (the same architecture, random), <c>resnet18|resnet34|resnet50</c> (torchvision layout, random)
/// or <c>resnetNN:FILE.safetensors</c> (torchvision layout with a user's PyTorch weights).
/// </summary>
public static class BackboneFactory
{
    public const string ImageNet = "imagenet-resnet18";
    public const string Scratch = "scratch";

    public static Backbone Create(string spec, long seed)
    {
        manual_seed(seed);
        var trimmed = spec.Trim();
        if (trimmed.Equals(ImageNet, StringComparison.OrdinalIgnoreCase)) return PretrainedWeights.LoadImageNetResNet18();
        if (trimmed.Equals(Scratch, StringComparison.OrdinalIgnoreCase)) return PretrainedWeights.CreateScratch(seed);
        var parts = trimmed.Split(':', 2);
        int depth = parts[0].ToLowerInvariant() switch
        {
            "resnet18" => 18,
            "resnet34" => 34,
            "resnet50" => 50,
            _ => throw new UserInputException($"unknown backbone '{spec}': use {ImageNet}, {Scratch}, resnet18|resnet34|resnet50 or resnetNN:FILE.safetensors"),
        };
        var backbone = new TorchvisionResNet(depth);
        backbone.InitialiseRandomly();
        if (parts.Length == 2) SafetensorsWeights.Load(backbone, parts[1], "fc.");
        return backbone;
    }

    /// <summary>Whether a spec starts from pretrained weights (everything but random initialisation).</summary>
    public static bool IsPretrained(string spec) =>
        spec.Equals(ImageNet, StringComparison.OrdinalIgnoreCase) || spec.Contains(':');
}
