using HistoPrognosis.Training;

namespace HistoPrognosis.Studies;

/// <summary>Settings of the transfer-vs-scratch study (data efficiency and convergence at an equal step budget).</summary>
public sealed record TransferStudyConfig
{
    public string TrainTable { get; init; } = "";
    public string TestTable { get; init; } = "";
    public int[] Sizes { get; init; } = [5, 10, 25, 50, 100, 200];
    public int Repeats { get; init; } = 3;
    public string[] Methods { get; init; } = ["scratch", "frozen", "finetune"];
    /// <summary>The pretrained backbone every method but scratch starts from (a ResNet, a timm or transformers ViT, PRESET:DIR); scratch is its architecture, randomly initialised.</summary>
    public string Backbone { get; init; } = Models.BackboneFactory.ImageNet;
    public int Seed { get; init; } = 7;
    public int BootstrapSamples { get; init; } = 1000;
    /// <summary>Steps and batch shared by every method; head-only steps are the first 10% for fine-tuning.</summary>
    public FinetuneConfig Finetune { get; init; } = new() { BatchSize = 64, HeadOnlySteps = 20, FullSteps = 180, LayerDecay = 0.4 };

    public void Validate()
    {
        if (Sizes.Length == 0 || Sizes.Any(s => s < 1)) throw new UserInputException("--sizes needs positive patient counts");
        if (Repeats < 1) throw new UserInputException($"--repeats must be ≥ 1, got {Repeats}");
        foreach (var m in Methods)
            if (m is not ("scratch" or "frozen" or "finetune" or "gradual" or "lora"))
                throw new UserInputException($"unknown method '{m}': use scratch, frozen, finetune, gradual or lora");
        Finetune.Validate();
    }
}
