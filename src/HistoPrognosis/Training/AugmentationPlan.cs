using System.Globalization;
using HistoPrognosis.Transforms;

namespace HistoPrognosis.Training;

/// <summary>
/// Training-time augmentation parsed from a spec such as <c>flips,hed:0.05,color:0.1</c>: <c>flips</c> = one of the
/// 8 dihedral transforms per sample (flips × 90° rotations, on the batch tensor); <c>hed[:σ]</c> = HED jitter
/// (Tellez et al. 2018, α and β spread σ, default 0.05); <c>color[:x]</c> = brightness/contrast/saturation jitter
/// (default 0.1); <c>stain[:σ]</c> = random stain-matrix perturbation (default 0.05); <c>none</c> = nothing.
/// Colour transforms run per sample on the pixels before the geometry. Evaluation never augments.
/// </summary>
public sealed record AugmentationPlan(bool Dihedral, ITransform? Pixels, string Spec)
{
    public const string Default = "flips";
    public static readonly AugmentationPlan None = new(false, null, "none");

    public static AugmentationPlan Parse(string? spec)
    {
        var text = (spec ?? "").Trim();
        if (text.Length == 0 || text == "none") return None;
        bool dihedral = false;
        var pixels = new List<ITransform>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split(':', 2);
            string name = parts[0];
            if (!seen.Add(name)) throw new UserInputException($"--augment '{text}': '{name}' appears twice");
            double Amount(double fallback, double max)
            {
                if (parts.Length == 1) return fallback;
                if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v > 0 && v <= max))
                    throw new UserInputException($"--augment '{text}': '{item}' needs a number in (0, {max.ToString(CultureInfo.InvariantCulture)}] after ':'");
                return v;
            }
            switch (name)
            {
                case "flips":
                    if (parts.Length > 1) throw new UserInputException($"--augment '{text}': 'flips' takes no amount");
                    dihedral = true;
                    break;
                case "hed": { double s = Amount(0.05, 1); pixels.Add(new HedJitter(s, s)); break; }
                case "color": { double x = Amount(0.1, 1); pixels.Add(new ColorJitter(x, x, x)); break; }
                case "stain": pixels.Add(new RandomStainPerturbation(Amount(0.05, 1))); break;
                case "none": throw new UserInputException($"--augment '{text}': 'none' cannot be combined with other augmentations");
                default: throw new UserInputException($"--augment '{text}': unknown augmentation '{name}' (flips, hed[:σ], color[:x], stain[:σ], none)");
            }
        }
        return new AugmentationPlan(dihedral, pixels.Count == 0 ? null : new Compose([.. pixels]), text);
    }
}
