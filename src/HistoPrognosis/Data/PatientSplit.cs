namespace HistoPrognosis.Data;

/// <summary>A patient-level split: every patient is in exactly one part, so no tissue leaks between parts.</summary>
public sealed record PatientSplit(IReadOnlyList<string> Train, IReadOnlyList<string> Validation, IReadOnlyList<string> Test)
{
    /// <summary>
    /// Shuffles the patients (in stable order first, so the result depends only on the ids and the seed) and cuts
    /// them by fraction. Stratified by a per-patient key when given (e.g. whether the patient has any IDC patch).
    /// <paramref name="source"/> (the table the patients come from) names the input in errors.
    /// </summary>
    public static PatientSplit Create(IReadOnlyList<string> patientIds, double validationFraction, double testFraction, int seed,
        Func<string, int>? stratum = null, string? source = null)
    {
        if (validationFraction < 0 || testFraction <= 0 || validationFraction + testFraction >= 1)
            throw new UserInputException($"split fractions must satisfy 0 ≤ validation, 0 < test, validation + test < 1 (got {validationFraction}, {testFraction})");
        var ordered = PatchTable.StableOrder(patientIds.Distinct());
        if (ordered.Count < 3) throw new UserInputException($"{(source is null ? "" : source + ": ")}a train/validation/test split needs at least 3 patients, got {ordered.Count}");
        var rng = new Random(seed);
        var train = new List<string>();
        var validation = new List<string>();
        var test = new List<string>();
        foreach (var group in ordered.GroupBy(id => stratum?.Invoke(id) ?? 0).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            rng.Shuffle(members);
            int nTest = (int)Math.Round(members.Length * testFraction, MidpointRounding.AwayFromZero);
            int nValidation = (int)Math.Round(members.Length * validationFraction, MidpointRounding.AwayFromZero);
            test.AddRange(members.Take(nTest));
            validation.AddRange(members.Skip(nTest).Take(nValidation));
            train.AddRange(members.Skip(nTest + nValidation));
        }
        if (train.Count == 0 || test.Count == 0)
            throw new UserInputException($"split of {ordered.Count} patients left an empty part (train {train.Count}, test {test.Count})");
        return new PatientSplit(PatchTable.StableOrder(train), PatchTable.StableOrder(validation), PatchTable.StableOrder(test));
    }
}
