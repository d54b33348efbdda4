using HistoPrognosis.Models;
using HistoPrognosis.Training;

namespace HistoPrognosis.Tests.Training;

[Collection(TorchCollection.Name)]
public sealed class TrainingPiecesTests
{
    [Fact]
    public void RocAucIsTheMannWhitneyStatisticWithTiesCountingHalf()
    {
        // Positives 0.9, 0.5; negatives 0.5, 0.1: pairs (0.9>0.5) (0.9>0.1) (0.5=0.5 → ½) (0.5>0.1) = 3.5 / 4.
        Assert.Equal(0.875, ClassificationMetrics.RocAuc([0.9f, 0.5f, 0.5f, 0.1f], [1, 1, 0, 0]), 12);
        Assert.Equal(0.0, ClassificationMetrics.RocAuc([0.1f, 0.9f], [1, 0]), 12);
        Assert.True(double.IsNaN(ClassificationMetrics.RocAuc([0.1f, 0.9f], [1, 1])));
    }

    [Fact]
    public void DiscriminativeLearningRatesGrowTowardsTheHead()
    {
        using var model = new PatchClassifier(new CntkResNet18());
        var groups = ParameterGroups.Discriminative(model, headLearningRate: 1e-3, decay: 0.5, weightDecay: 0.01);
        double Lr(string name) => groups.First(g => g.Name == name).LearningRate;
        Assert.Equal(1e-3, Lr("head"), 15);
        Assert.Equal(5e-4, Lr("layer4"), 15);
        Assert.Equal(2.5e-4, Lr("layer3"), 15);
        Assert.Equal(1e-3 / 32, Lr("stem"), 15);
        // Every parameter in exactly one group; norms and biases without weight decay.
        Assert.Equal(model.parameters().Count(), groups.Sum(g => g.Parameters.Count));
        Assert.All(groups.Where(g => g.Name.EndsWith(".norm_bias")), g => Assert.Equal(0, g.WeightDecay));
        Assert.All(groups.Where(g => !g.Name.EndsWith(".norm_bias")), g => Assert.All(g.Parameters, p => Assert.True(p.dim() > 1)));
    }

    [Fact]
    public void WarmupThenCosine()
    {
        Assert.Equal(0.1, LearningRateSchedule.WarmupCosine(0, 100, 0.1), 12);
        Assert.Equal(1.0, LearningRateSchedule.WarmupCosine(9, 100, 0.1), 12);
        Assert.Equal(1.0, LearningRateSchedule.WarmupCosine(10, 100, 0.1), 12);
        Assert.Equal(0.5, LearningRateSchedule.WarmupCosine(55, 100, 0.1), 12);
        Assert.True(LearningRateSchedule.WarmupCosine(99, 100, 0.1) < 0.001);
    }
}
