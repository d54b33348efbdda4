using HistoPrognosis.Data;
using HistoPrognosis.Mil;
using HistoPrognosis.Survival;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Studies;

/// <summary>
/// A supervised ceiling for frozen features: a linear patch classifier (L2 logistic regression on standardised
/// features) fitted to the training patients' patch labels, whose mean predicted probability per patient is the risk.
/// On a cohort whose hazard follows the tumour burden (the mean patch label), this is what the frozen features can
/// tell with full patch supervision — a bar that survival-only training of the same features is unlikely to pass, so a
/// study reports it beside the oracle. Fixed settings (no tuning on the test patients); deterministic on the CPU.
/// </summary>
public static class PatchProbeReference
{
    /// <summary>L2 weight on the coefficients, per unit of mean log-loss.</summary>
    public const double L2 = 1e-3;
    public const int MaxIterations = 200;

    /// <summary>Each test patient's mean predicted probability of a positive patch, in the order of <paramref name="test"/>.</summary>
    public static double[] Risks(IReadOnlyList<PatientBag> train, IReadOnlyList<double[]> trainLabels, IReadOnlyList<PatientBag> test)
    {
        if (train.Count != trainLabels.Count) throw new ArgumentException("one label array per training bag");
        using var scope = NewDisposeScope();
        var x = Stack(train);
        var y = tensor(trainLabels.SelectMany(l => l).Select(v => (float)v).ToArray());
        if (y.shape[0] != x.shape[0]) throw new ArgumentException("one label per training patch");
        var mean = x.mean([0]);
        var scale = x.std([0]).clamp_min(1e-6);
        x = (x - mean) / scale;
        var weight = new TorchSharp.Modules.Parameter(zeros(x.shape[1]));
        var bias = new TorchSharp.Modules.Parameter(zeros(1));
        var optimizer = optim.LBFGS([weight, bias], lr: 1, max_iter: MaxIterations, tolerange_grad: 1e-7, tolerance_change: 1e-10, history_size: 20);
        using var l2 = ((Scalar)L2);
        Tensor Loss()
        {
            optimizer.zero_grad();
            var loss = nn.functional.binary_cross_entropy_with_logits(x.matmul(weight) + bias, y) + weight.square().sum().mul(l2);
            loss.backward();
            return loss;
        }
        optimizer.step(Loss);
        using var _ = no_grad();
        return test.Select(bag => (double)sigmoid(((Stack([bag]) - mean) / scale).matmul(weight) + bias).mean().item<float>()).ToArray();
    }

    /// <summary>
    /// Harrell C of <see cref="Risks"/> on the test cohort, or null when some patch has no label. Bags are in the
    /// order of each cohort's patients and their rows in the patch table's order, as the feature cache returns them.
    /// </summary>
    public static double? HarrellC(PatchTable table, Cohort trainCohort, IReadOnlyList<PatientBag> trainBags, Cohort testCohort, IReadOnlyList<PatientBag> testBags)
    {
        if (table.Patches.Any(p => p.Label is null)) return null;
        var labels = table.Patches.GroupBy(p => p.PatientId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(p => (double)p.Label!.Value).ToArray(), StringComparer.Ordinal);
        var trainLabels = trainBags.Select(b => labels[b.PatientId].Length == b.Instances.Length ? labels[b.PatientId]
            : throw new InvalidDataException($"{table.SourcePath}: patient {b.PatientId} has {labels[b.PatientId].Length} patches but {b.Instances.Length} features")).ToList();
        if (trainCohort.Patients.Count != trainBags.Count || testCohort.Patients.Count != testBags.Count) throw new ArgumentException("one bag per cohort patient");
        return Concordance.Harrell(testCohort.Time, testCohort.Events, Risks(trainBags, trainLabels, testBags)).Value;
    }

    private static Tensor Stack(IReadOnlyList<PatientBag> bags)
    {
        int d = bags[0].Instances[0].Length;
        var rows = bags.SelectMany(b => b.Instances).ToArray();
        var flat = new float[rows.Length * d];
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(flat, i * d);
        return tensor(flat, [rows.Length, d]);
    }
}
