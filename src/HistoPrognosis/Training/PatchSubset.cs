using HistoPrognosis.Data;

namespace HistoPrognosis.Training;

/// <summary>Index helpers over a decoded <see cref="PatchDataset"/> by patient.</summary>
public static class PatchSubset
{
    public static long[] IndicesOf(PatchDataset data, IReadOnlyCollection<string> patients)
    {
        var keep = patients as IReadOnlySet<string> ?? patients.ToHashSet();
        return Enumerable.Range(0, data.Count).Where(i => keep.Contains(data.PatientIds[i])).Select(i => (long)i).ToArray();
    }
}
