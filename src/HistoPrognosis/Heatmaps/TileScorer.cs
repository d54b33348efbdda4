using HistoPrognosis.Mil;
using static TorchSharp.torch;

namespace HistoPrognosis.Heatmaps;

/// <summary>
/// Scores of every tile of one patient's bag.
/// <para><see cref="Risk"/>: the model's risk (the head's risk score, higher = worse; for Cox the log relative hazard)
/// of a bag made of that tile alone — what the model would predict had it seen only this tile. For mean and max pooling
/// and the attention pools (abmil, clam) that is exactly the head on the tile's embedded projected feature (a
/// one-instance bag pools to itself); for TransMIL the tile runs through the transformer alone. It is comparable across
/// tiles, patients and slides of one model, and says what the tile's tissue means to the model, whether or not the
/// model attended to it.</para>
/// <para><see cref="Attention"/>: the tile's weight in the patient's bag embedding (attention pools only; sums to 1
/// over the patient's tiles, all slides together), and <see cref="AttentionRank"/> its rank normalised to [0, 1]
/// within the patient (1 = most attended; ties share their mean rank), which compares across bags of different sizes.
/// Null for mean and max pooling, which have no attention (mean weighs every tile 1/N).</para>
/// </summary>
public sealed record TileScores(float[] Risk, float[]? Attention, float[]? AttentionRank, double PatientRisk)
{
    public bool HasAttention => Attention is not null;
}

/// <summary>Per-tile risk and attention of a trained MIL model, from cached features (no backbone).</summary>
public static class TileScorer
{
    /// <summary>Aggregators whose per-instance weights are learned attention, not a by-product of pooling.</summary>
    public static bool HasAttention(MilAggregatorKind kind) => kind is MilAggregatorKind.Abmil or MilAggregatorKind.Clam or MilAggregatorKind.Transmil;

    /// <param name="clinical">the patient's encoded clinical row; null = all zeros (numeric covariates at the training mean, no category)</param>
    public static TileScores Score(PrognosisModel model, PatientBag bag, float[]? clinical = null)
    {
        model.Network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var row = clinical ?? new float[model.Clinical.Width];
        if (row.Length != model.Clinical.Width) throw new ArgumentException($"a clinical row has {row.Length} values, the model expects {model.Clinical.Width}");
        var clinicalTensor = row.Length == 0 ? null : tensor(row, device: model.Projection.Device).reshape(1, row.Length);
        var projected = model.Projection.Apply(bag);
        var whole = model.Network.Run(projected, clinicalTensor);
        double patientRisk = model.Head.Risk(whole.Outputs.cpu().data<float>().ToArray());
        var outputs = model.Network.RunSingletons(projected, clinicalTensor).cpu().contiguous();
        int n = bag.Instances.Length, k = (int)outputs.shape[1];
        var flat = outputs.data<float>().ToArray();
        var risk = new float[n];
        for (int i = 0; i < n; i++) risk[i] = (float)model.Head.Risk(flat.AsSpan(i * k, k));
        if (!HasAttention(model.Config.Aggregator)) return new TileScores(risk, null, null, patientRisk);
        var attention = whole.Attention.cpu().data<float>().ToArray();
        return new TileScores(risk, attention, RankNormalised(attention), patientRisk);
    }

    /// <summary>Ranks scaled to [0, 1] (lowest 0, highest 1; ties share their mean rank; a single value is 1).</summary>
    public static float[] RankNormalised(IReadOnlyList<float> values)
    {
        int n = values.Count;
        var result = new float[n];
        if (n == 1) { result[0] = 1; return result; }
        var order = Enumerable.Range(0, n).OrderBy(i => values[i]).ToArray();
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end + 1 < n && values[order[end + 1]] == values[order[start]]) end++;
            float rank = (start + end) / 2f / (n - 1);
            for (int j = start; j <= end; j++) result[order[j]] = rank;
            start = end + 1;
        }
        return result;
    }
}
