using HistoPrognosis.Data;

namespace HistoPrognosis.Training.EndToEnd;

/// <summary>
/// Patients with their decoded patches (rows of one uint8 <see cref="PatchDataset"/>), follow-up and encoded clinical
/// covariates (<see cref="ClinicalEncoder"/>; rows of width 0 for an image-only model), in a fixed patient order.
/// Time and event are unused at inference. The dataset stays owned by the caller.
/// </summary>
public sealed class PatientPatches
{
    private PatientPatches(PatchDataset patches, string[] ids, long[][] rows, double[] time, bool[] @event, float[][] clinical)
    {
        Patches = patches;
        PatientIds = ids;
        Rows = rows;
        Time = time;
        Event = @event;
        Clinical = clinical;
    }

    public PatchDataset Patches { get; }
    public string[] PatientIds { get; }
    /// <summary>Dataset rows of every patient, in dataset order.</summary>
    public long[][] Rows { get; }
    public double[] Time { get; }
    public bool[] Event { get; }
    /// <summary>Encoded covariates per patient, each of <see cref="ClinicalWidth"/> values.</summary>
    public float[][] Clinical { get; }
    public int ClinicalWidth => Clinical.Length > 0 ? Clinical[0].Length : 0;
    public int Count => PatientIds.Length;

    /// <summary>Groups the dataset's patches by patient (<see cref="PatchDataset.PatientIds"/>); every patient needs a patch.</summary>
    /// <param name="clinical">encoded covariates per patient (null: image only)</param>
    public static PatientPatches Create(PatchDataset patches, IReadOnlyList<string> patientIds, double[] time, bool[] @event, float[][]? clinical = null)
    {
        clinical ??= patientIds.Select(_ => Array.Empty<float>()).ToArray();
        if (time.Length != patientIds.Count || @event.Length != patientIds.Count || clinical.Length != patientIds.Count)
            throw new ArgumentException($"{patientIds.Count} patients but {time.Length} times, {@event.Length} events and {clinical.Length} clinical rows");
        if (clinical.Any(r => r.Length != clinical[0].Length)) throw new ArgumentException("clinical rows of different widths");
        var byPatient = Enumerable.Range(0, patches.Count).GroupBy(i => patches.PatientIds[i])
            .ToDictionary(g => g.Key, g => g.Select(i => (long)i).ToArray());
        var rows = patientIds.Select(id => byPatient.TryGetValue(id, out var r) && r.Length > 0 ? r
            : throw new UserInputException($"patient {id} has no patches: end-to-end training and prediction need at least one per patient")).ToArray();
        return new PatientPatches(patches, patientIds.ToArray(), rows, time, @event, clinical);
    }

    /// <summary>Patients for prediction only (no follow-up).</summary>
    public static PatientPatches ForPrediction(PatchDataset patches, IReadOnlyList<string> patientIds, float[][]? clinical = null) =>
        Create(patches, patientIds, new double[patientIds.Count], new bool[patientIds.Count], clinical);

    /// <summary>These patients, then <paramref name="other"/>'s (the same dataset).</summary>
    public PatientPatches Concat(PatientPatches other)
    {
        if (!ReferenceEquals(Patches, other.Patches)) throw new ArgumentException("patients of different patch datasets");
        if (Count > 0 && other.Count > 0 && ClinicalWidth != other.ClinicalWidth) throw new ArgumentException("patients with different clinical widths");
        return new(Patches, [.. PatientIds, .. other.PatientIds], [.. Rows, .. other.Rows], [.. Time, .. other.Time], [.. Event, .. other.Event], [.. Clinical, .. other.Clinical]);
    }

    public PatientPatches Select(IReadOnlyList<int> patients) => new(Patches, patients.Select(i => PatientIds[i]).ToArray(),
        patients.Select(i => Rows[i]).ToArray(), patients.Select(i => Time[i]).ToArray(), patients.Select(i => Event[i]).ToArray(),
        patients.Select(i => Clinical[i]).ToArray());
}
