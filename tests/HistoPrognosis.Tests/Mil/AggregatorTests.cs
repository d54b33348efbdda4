using HistoPrognosis.Mil;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Mil;

[Collection(TorchCollection.Name)]
public sealed class AggregatorTests
{
    private static readonly MilConfig Config = new() { HiddenDimension = 8, AttentionDimension = 4, Dropout = 0 };

    [Theory]
    [InlineData(MilAggregatorKind.Mean)]
    [InlineData(MilAggregatorKind.Max)]
    [InlineData(MilAggregatorKind.Abmil)]
    [InlineData(MilAggregatorKind.Clam)]
    [InlineData(MilAggregatorKind.Transmil)]
    public void EmbeddingIsPermutationInvariantAndAttentionSumsToOne(MilAggregatorKind name)
    {
        manual_seed(3);
        using var aggregator = MilAggregators.Create(name, 5, Config);
        aggregator.eval();
        using var scope = NewDisposeScope();
        var bag = randn(7, 5);
        var permutation = tensor(new long[] { 3, 6, 0, 1, 5, 2, 4 });
        var a = aggregator.Encode(bag);
        var b = aggregator.Encode(bag.index_select(0, permutation));
        Assert.Equal([1L, aggregator.EmbeddingDimension], a.Embedding.shape);
        Assert.Equal(7, a.Attention.shape[0]);
        Assert.Equal(1.0, a.Attention.sum().item<float>(), 5);
        Assert.True(a.Attention.min().item<float>() >= 0);
        Assert.True(allclose(a.Embedding, b.Embedding, rtol: 1e-4, atol: 1e-5));
        // The weights travel with their instances.
        Assert.True(allclose(a.Attention.index_select(0, permutation), b.Attention, rtol: 1e-4, atol: 1e-6));
        Assert.Null(a.InstanceLoss);
    }

    [Fact]
    public void MeanPoolingWeighsEveryInstanceEquallyAndMaxPoolingCountsArgmaxDimensions()
    {
        manual_seed(4);
        using var mean = MilAggregators.Create(MilAggregatorKind.Mean, 3, Config);
        using var max = MilAggregators.Create(MilAggregatorKind.Max, 3, Config);
        mean.eval(); max.eval();
        using var scope = NewDisposeScope();
        var bag = randn(4, 3);
        Assert.All(mean.Encode(bag).Attention.data<float>().ToArray(), w => Assert.Equal(0.25f, w, 6));
        // A single instance supplies every maximum.
        var single = max.Encode(bag.narrow(0, 2, 1));
        Assert.Equal(1f, single.Attention.item<float>(), 6);
    }

    [Fact]
    public void ClamInstanceLossIsTrainingOnlyAndTrainsTheInstanceClassifier()
    {
        manual_seed(5);
        using var clam = (ClamSbPool)MilAggregators.Create(MilAggregatorKind.Clam, 5, Config);
        using var scope = NewDisposeScope();
        var bag = randn(10, 5);
        clam.train();
        var encoding = clam.Encode(bag);
        Assert.NotNull(encoding.InstanceLoss);
        double loss = encoding.InstanceLoss!.item<float>();
        Assert.True(loss > 0 && double.IsFinite(loss));
        encoding.InstanceLoss.backward();
        Assert.Contains(clam.named_parameters(), p => p.name.StartsWith("instanceClassifier") && p.parameter.grad is not null && p.parameter.grad.abs().sum().item<float>() > 0);
        Assert.Null(clam.Encode(bag.narrow(0, 0, 1)).InstanceLoss); // one instance: no top-k / bottom-k pair
        clam.eval();
        Assert.Null(clam.Encode(bag).InstanceLoss);
    }

    [Fact]
    public void UnknownAggregatorIsAUserErrorListingTheChoices()
    {
        var ex = Assert.Throws<UserInputException>(() => HistoPrognosis.Configuration.ConfigNames.Parse<MilAggregatorKind>("attention", "--aggregator"));
        Assert.Contains("transmil", ex.Message);
        Assert.Contains("--aggregator", ex.Message);
    }
}
