using System.Text.Json.Serialization;
using HistoPrognosis.Mil;

namespace HistoPrognosis.Training.EndToEnd;

/// <summary>
/// Everything an end-to-end run is trained with: the <c>finetune</c> section (policy, step budget, rates, warm-up,
/// augmentation, early stopping; its patch <c>batch_size</c> is unused, a step's batch being patients × patches)
/// with its <c>end_to_end</c> part, the <c>model</c> section (aggregator, loss, MIL network shape; its PCA and
/// epochs are unused, see <see cref="EndToEndNetwork"/>) and the run's seed.
/// </summary>
public sealed record EndToEndSetup(FinetuneConfig Optimisation, PrognosisConfig Model, int Seed)
{
    [JsonIgnore]
    public EndToEndConfig EndToEnd => Optimisation.EndToEnd;

    public void Validate()
    {
        Optimisation.Validate();
        Model.Validate();
    }
}
