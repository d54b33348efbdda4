using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>Stain normalization methods (config values; <c>none</c> leaves the colours as scanned).</summary>
public enum StainMethod
{
    None,
    Reinhard,
    Macenko,
    Vahadane,
    Ruifrok,
}

/// <summary>
/// The <c>stain</c> section: every patch is normalized onto one target image before it reaches the backbone, in
/// fine-tuning and in feature extraction alike (the same fit), and the fit is part of the feature cache key.
/// </summary>
public sealed record StainConfig
{
    public StainMethod Method { get; init; } = StainMethod.None;
    /// <summary>The target image (8-bit RGB) whose appearance every patch is mapped onto; required unless the method is none.</summary>
    public string? Target { get; init; }

    public void Validate()
    {
        if (Method != StainMethod.None && Target is null) throw new UserInputException($"stain.target (--stain-target) is required with stain.method {Method.ToString().ToLowerInvariant()}");
    }

    /// <summary>The fitted normalizer as a per-patch transform and a key naming method and fit; (null, "none") without normalization.</summary>
    /// <param name="maxPixels">the largest target decoded (<c>input.max_image_pixels</c>)</param>
    public (Func<RgbImage, RgbImage>? Transform, string Key) Create(long maxPixels = ImageCodec.DefaultMaxPixels)
    {
        Validate();
        if (Method == StainMethod.None) return (null, "none");
        var normalizer = StainNormalizers.Create(Method.ToString().ToLowerInvariant());
        normalizer.Fit(StainImageFile.Read(Target!, maxPixels));
        var fit = JsonSerializer.Serialize(normalizer.ExportFit());
        var key = $"{normalizer.Method}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fit)))[..16]}";
        return (normalizer.Transform, key);
    }
}
