using HistoPrognosis.Models;

namespace HistoPrognosis.Features;

/// <summary>How patch features are made and kept (the <c>features</c> section).</summary>
public sealed record FeatureConfig
{
    /// <summary><c>imagenet-resnet18</c> | <c>scratch</c> | <c>resnet18|resnet34|resnet50[:FILE.safetensors]</c> | a <c>histoprog finetune</c> folder.</summary>
    public string Backbone { get; init; } = BackboneFactory.ImageNet;
    /// <summary>Patch side fed to the backbone, px (also the fine-tuning input size).</summary>
    public int ImageSize { get; init; } = 96;
    /// <summary>What runs the backbone for features: <c>auto</c> (ONNX Runtime on the CPU, TorchSharp on CUDA), <c>onnxruntime</c>, <c>torchsharp</c>.</summary>
    public FeatureEngineKind Engine { get; init; } = FeatureEngineKind.Auto;
    /// <summary>Feature cache folder (default <c>~/.local/share/histoprog/features</c>); files are keyed by weights, preprocessing and size.</summary>
    public string? Cache { get; init; }
    /// <summary>A second backbone (e.g. <c>scratch</c>) every model is also trained on, with the same patients, folds and seeds, for a paired comparison.</summary>
    public string? CompareBackbone { get; init; }

    public string CacheRoot => Cache ?? FeatureCache.DefaultRoot;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Backbone)) throw new UserInputException("features.backbone is empty");
        if (ImageSize < 32) throw new UserInputException($"features.image_size must be ≥ 32, got {ImageSize}");
        if (CompareBackbone is not null && string.Equals(CompareBackbone, Backbone, StringComparison.Ordinal))
            throw new UserInputException($"features.compare_backbone (--compare-backbone) '{CompareBackbone}' is the main backbone; name a different one");
    }
}
