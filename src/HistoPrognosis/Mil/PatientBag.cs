namespace HistoPrognosis.Mil;

/// <summary>All patch features of one patient (instances × features).</summary>
public sealed record PatientBag(string PatientId, float[][] Instances)
{
    /// <summary>Groups per-patch features by patient, in the given patient order; every patient needs a patch.</summary>
    public static IReadOnlyList<PatientBag> FromPatches(IReadOnlyList<string> patientOrder, string[] patchPatientIds, float[][] features)
    {
        var byPatient = patchPatientIds.Select((id, i) => (id, i)).GroupBy(p => p.id)
            .ToDictionary(g => g.Key, g => g.Select(p => features[p.i]).ToArray());
        return patientOrder.Select(id => byPatient.TryGetValue(id, out var rows) && rows.Length > 0
            ? new PatientBag(id, rows)
            : throw new UserInputException($"patient {id} has no readable patch")).ToList();
    }
}
