using System.CommandLine;
using System.Text.Json;

namespace HistoPrognosis.Cli;

/// <summary>Options shared by every command that computes.</summary>
public static class CommonOptions
{
    public static Option<string> Augment() => new("--augment")
    {
        Description = "training augmentation: flips (flips × 90° rotations), hed[:σ], color[:x], stain[:σ], comma-separated, or none",
        DefaultValueFactory = _ => HistoPrognosis.Training.AugmentationPlan.Default,
    };
}
