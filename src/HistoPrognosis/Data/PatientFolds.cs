namespace HistoPrognosis.Data;

/// <summary>
/// Patient-level k-fold cross-validation: every patient is in exactly one test fold. Patients are grouped by stratum
/// (event status, and site when given), shuffled within each group, and dealt round-robin with the dealing position
/// carried over from group to group, so fold sizes differ by at most one and every fold gets its share of each stratum.
/// </summary>
public static class PatientFolds
{
    /// <returns>the fold (0..k−1) of every patient, in the order given</returns>
    public static int[] Assign(IReadOnlyList<string> patientIds, int folds, int seed, Func<int, string>? stratum = null)
    {
        if (folds < 2) throw new UserInputException($"cross-validation needs at least 2 folds, got {folds}");
        if (patientIds.Count < folds) throw new UserInputException($"{folds}-fold cross-validation needs at least {folds} patients, got {patientIds.Count}");
        if (patientIds.Distinct(StringComparer.Ordinal).Count() != patientIds.Count) throw new ArgumentException("patient ids must be unique");
        var rng = new Random(seed);
        var fold = new int[patientIds.Count];
        int next = 0;
        // Stable group and member order first, so the result depends only on the ids, the strata and the seed.
        var groups = Enumerable.Range(0, patientIds.Count).GroupBy(i => stratum?.Invoke(i) ?? "").OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var members = group.OrderBy(i => patientIds[i], StringComparer.Ordinal).ToArray();
            rng.Shuffle(members);
            foreach (var i in members) fold[i] = next++ % folds;
        }
        return fold;
    }

    /// <summary>Strata for survival data: event status, and site when present.</summary>
    public static Func<int, string> ByEventAndSite(bool[] @event, string?[]? site = null) =>
        i => $"{(@event[i] ? 1 : 0)}|{site?[i] ?? ""}";
}
