using HistoPrognosis.Data;
using HistoPrognosis.Features;
using HistoPrognosis.Reports;
using HistoPrognosis.Training;

namespace HistoPrognosis.Workflow;

/// <summary>
/// The demo as a run config: real IDC patches with simulated five-year follow-up from each patient's tumour burden;
/// the ImageNet ResNet18 fine-tuned (head only, then discriminative rates) on the training patients' patch labels
/// against its random twin with the same step budget; MIL prognosis on each one's features; both scored on the same
/// held-out patients with a paired bootstrap difference. Then the prognosis-transfer study on the same cohort:
/// scratch end to end against ImageNet frozen-feature MIL and ImageNet end to end (discriminative rates), at a small
/// training size and at every training patient, so a new user sees where transfer helps and where it does not. Written
/// out as <c>run-config.yaml</c>, it reruns through <c>histoprog run</c> with the same numbers.
/// </summary>
public static class DemoPreset
{
    public const string EmbeddedLabels = "data/idc-demo/labels.csv";

    /// <param name="labels">the labelled patch table (null: to be given by a flag)</param>
    public static RunConfig Config(string? labels) => new()
    {
        Input = new InputConfig { Patches = labels is null ? null : Path.GetFullPath(labels), SimulateFollowUp = true },
        // 64 px keeps the demo to minutes on two cores; the 50 px IDC patches lose nothing.
        Features = new FeatureConfig { ImageSize = 64, CompareBackbone = Models.BackboneFactory.Scratch },
        // Each end-to-end step: 8 patients × 8 patches, so the study's four end-to-end runs fit the demo's minutes.
        Finetune = new FinetuneConfig { Enabled = true, EndToEnd = new Training.EndToEnd.EndToEndConfig { PatchesPerPatient = 8 } },
        Study = new PrognosisTransferConfig
        {
            Enabled = true,
            Sizes = [12, 0],
            Repeats = 1,
            Arms = [PrognosisArm.ScratchEndToEnd, PrognosisArm.FrozenMil, PrognosisArm.EndToEndDiscriminative],
            HeadOnlySteps = 10,
            FullSteps = 50,
        },
        Evaluation = new EvaluationConfig { Protocol = EvaluationProtocol.Holdout },
        Report = new ReportConfig { Title = "HistoPrognosis demo: fine-tuned ImageNet ResNet18 vs the same network from scratch" },
    };

    /// <summary>The embedded subset ships in the repository; look upward from the working directory and from the tool's folder.</summary>
    public static string? TryLocateEmbedded()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, EmbeddedLabels);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    public static string NotFound => $"the embedded demo data ({EmbeddedLabels}) was not found above {Directory.GetCurrentDirectory()}; pass --patches PATH (e.g. ../shared/data/idc/labels.csv)";
}
