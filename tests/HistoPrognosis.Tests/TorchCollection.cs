namespace HistoPrognosis.Tests;

/// <summary>
/// Tests that create or train TorchSharp models run one at a time: LibTorch's random generator is process-wide,
/// so two such tests in parallel would draw from each other's seeded streams and break reproducibility checks.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "torch";
}
