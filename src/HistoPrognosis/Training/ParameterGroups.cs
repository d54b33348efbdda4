using HistoPrognosis.Models;
using TorchSharp.Modules;

namespace HistoPrognosis.Training;

/// <summary>One optimizer group: a name for reports, its parameters, base learning rate and weight decay.</summary>
public sealed record ParameterGroupSpec(string Name, IReadOnlyList<Parameter> Parameters, double LearningRate, double WeightDecay);

/// <summary>
/// Builds optimizer groups. Discriminative learning rates: the head learns at the base rate and each stage
/// further from the head at base × decay^depth, so generic early filters move least. Norm weights and biases
/// (one-dimensional parameters) get no weight decay, as is standard for AdamW.
/// </summary>
public static class ParameterGroups
{
    public static IReadOnlyList<ParameterGroupSpec> Discriminative(PatchClassifier model, double headLearningRate, double decay, double weightDecay)
    {
        var groups = new List<ParameterGroupSpec>();
        AddSplitByDecay(groups, "head", model.Head.parameters(), headLearningRate, weightDecay);
        var stages = model.Backbone.StageNames.Reverse().ToArray(); // layer4 first: closest to the head
        for (int depth = 0; depth < stages.Length; depth++)
            AddSplitByDecay(groups, stages[depth], model.Backbone.StageParameters(stages[depth]),
                headLearningRate * Math.Pow(decay, depth + 1), weightDecay);
        return groups;
    }

    public static IReadOnlyList<ParameterGroupSpec> Uniform(string name, IEnumerable<Parameter> parameters, double learningRate, double weightDecay)
    {
        var groups = new List<ParameterGroupSpec>();
        AddSplitByDecay(groups, name, parameters, learningRate, weightDecay);
        return groups;
    }

    private static void AddSplitByDecay(List<ParameterGroupSpec> groups, string name, IEnumerable<Parameter> parameters, double lr, double weightDecay)
    {
        var all = parameters.ToList();
        var decayed = all.Where(p => p.dim() > 1).ToList();
        var notDecayed = all.Where(p => p.dim() <= 1).ToList();
        if (decayed.Count > 0) groups.Add(new ParameterGroupSpec(name, decayed, lr, weightDecay));
        if (notDecayed.Count > 0) groups.Add(new ParameterGroupSpec(name + ".norm_bias", notDecayed, lr, 0));
    }
}
