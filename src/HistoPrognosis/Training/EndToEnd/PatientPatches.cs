using HistoPrognosis.Data;

namespace HistoPrognosis.Training.EndToEnd;

/// <summary>
/// Patients with their decoded patches (rows of one uint8 <see cref="PatchDataset"/>) and follow-up, in a fixed
/// patient order. Time and event are unused at inference. The dataset stays owned by the caller.
/// </summary>
public sealed class PatientPatches
{
    private PatientPatches(PatchDataset patches, string[] ids, long[][] rows, double[] time, bool[] @event)
    {
        Patches = patches;
        PatientIds = ids;
        Rows = rows;
        Time = time;
        Event = @event;
    }

    public PatchDataset Patches { get; }
    public string[] PatientIds { get; }
    /// <summary>Dataset rows of every patient, in dataset order.</summary>
    public long[][] Rows { get; }
    public double[] Time { get; }
    public bool[] Event { get; }
    public int Count => PatientIds.Length;

    /// <summary>Groups the dataset's patches by patient (<see cref="PatchDataset.PatientIds"/>); every patient needs a patch.</summary>
    public static PatientPatches Create(PatchDataset patches, IReadOnlyList<string> patientIds, double[] time, bool[] @event)
    {
        if (time.Length != patientIds.Count || @event.Length != patientIds.Count)
            throw new ArgumentException($"{patientIds.Count} patients but {time.Length} times and {@event.Length} events");
        var byPatient = Enumerable.Range(0, patches.Count).GroupBy(i => patches.PatientIds[i])
            .ToDictionary(g => g.Key, g => g.Select(i => (long)i).ToArray());
        var rows = patientIds.Select(id => byPatient.TryGetValue(id, out var r) && r.Length > 0 ? r
            : throw new UserInputException($"patient {id} has no patches: end-to-end training and prediction need at least one per patient")).ToArray();
        return new PatientPatches(patches, patientIds.ToArray(), rows, time, @event);
    }

    /// <summary>Patients for prediction only (no follow-up).</summary>
    public static PatientPatches ForPrediction(PatchDataset patches, IReadOnlyList<string> patientIds) =>
        Create(patches, patientIds, new double[patientIds.Count], new bool[patientIds.Count]);

    public PatientPatches Select(IReadOnlyList<int> patients) => new(Patches, patients.Select(i => PatientIds[i]).ToArray(),
        patients.Select(i => Rows[i]).ToArray(), patients.Select(i => Time[i]).ToArray(), patients.Select(i => Event[i]).ToArray());
}
