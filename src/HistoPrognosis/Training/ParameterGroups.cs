using HistoPrognosis.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

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
    public static IReadOnlyList<ParameterGroupSpec> Discriminative(PatchClassifier model, double headLearningRate, double decay, double weightDecay) =>
        Discriminative(model.Backbone, model.Head.parameters(), headLearningRate, decay, weightDecay, weightDecay);

    /// <summary>Any head on a backbone; the head may have its own weight decay (e.g. a small, strongly regularised MIL network).</summary>
    public static IReadOnlyList<ParameterGroupSpec> Discriminative(Backbone backbone, IEnumerable<Parameter> head, double headLearningRate, double decay,
        double headWeightDecay, double backboneWeightDecay)
    {
        var groups = new List<ParameterGroupSpec>();
        AddSplitByDecay(groups, "head", head, headLearningRate, headWeightDecay);
        var stages = backbone.StageNames.Reverse().ToArray(); // layer4 first: closest to the head
        for (int depth = 0; depth < stages.Length; depth++)
            AddSplitByDecay(groups, stages[depth], backbone.StageParameters(stages[depth]),
                headLearningRate * Math.Pow(decay, depth + 1), backboneWeightDecay, backbone.Decays);
        return groups;
    }

    /// <summary>The groups a phase trains: the head's and those of its open stages.</summary>
    public static IReadOnlyList<ParameterGroupSpec> OpenIn(IReadOnlyList<ParameterGroupSpec> groups, TrainingPhase phase) =>
        groups.Where(g => g.Name.StartsWith("head") || phase.TrainableStages.Any(s => g.Name == s || g.Name == s + ".norm_bias")).ToList();

    /// <summary>LoRA adapters learn at the head rate (their updates start at zero and stay small) without weight decay, as in PEFT.</summary>
    public static IReadOnlyList<ParameterGroupSpec> Lora(LoraAdapters adapters, double headLearningRate) =>
        Uniform("lora", adapters.parameters(), headLearningRate, 0);

    /// <summary>AdamW (β 0.9/0.999, ε 1e-8) over the groups, each at its own rate and weight decay.</summary>
    public static AdamW AdamW(IReadOnlyList<ParameterGroupSpec> groups) =>
        optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, lr: g.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8,
            weight_decay: g.WeightDecay, amsgrad: false, maximize: false)));

    public static IReadOnlyList<ParameterGroupSpec> Uniform(string name, IEnumerable<Parameter> parameters, double learningRate, double weightDecay)
    {
        var groups = new List<ParameterGroupSpec>();
        AddSplitByDecay(groups, name, parameters, learningRate, weightDecay);
        return groups;
    }

    /// <param name="decays">which parameters take weight decay (default: matrices and kernels, not norms and biases)</param>
    private static void AddSplitByDecay(List<ParameterGroupSpec> groups, string name, IEnumerable<Parameter> parameters, double lr, double weightDecay,
        Func<Parameter, bool>? decays = null)
    {
        decays ??= p => p.dim() > 1;
        var all = parameters.ToList();
        var decayed = all.Where(decays).ToList();
        var notDecayed = all.Where(p => !decays(p)).ToList();
        if (decayed.Count > 0) groups.Add(new ParameterGroupSpec(name, decayed, lr, weightDecay));
        if (notDecayed.Count > 0) groups.Add(new ParameterGroupSpec(name + ".norm_bias", notDecayed, lr, 0));
    }
}
