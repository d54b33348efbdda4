namespace HistoPrognosis.Training.EndToEnd;

/// <summary>One micro-batch: patient positions in the training set and the dataset rows drawn for each.</summary>
public sealed record PatientBatch(int[] Patients, long[][] Rows)
{
    public int PatchCount => Rows.Sum(r => r.Length);
}

/// <summary>
/// Seeded micro-batches of patients (epochs of shuffled patients, no patient twice in a batch) with up to K patches
/// each (without replacement; all of them for a patient with fewer). For the Cox loss a batch must hold a
/// comparable pair — an event and another patient still at risk at its time — or its partial likelihood has no
/// gradient; a batch without one has a drawn patient swapped for an event patient.
/// </summary>
public sealed class PatientPatchSampler
{
    private const int SwapAttempts = 32;
    private readonly PatientPatches _data;
    private readonly int _patients, _patches;
    private readonly bool _needsComparablePair;
    private readonly Random _rng;
    private readonly List<int> _queue = [];
    private readonly int[] _events;

    public PatientPatchSampler(PatientPatches data, int patientsPerBatch, int patchesPerPatient, bool needsComparablePair, int seed)
    {
        _events = Enumerable.Range(0, data.Count).Where(i => data.Event[i]).ToArray();
        if (_events.Length == 0) throw new UserInputException($"the {data.Count} training patients have no events: a survival model cannot learn from follow-up without any");
        if (data.Count < patientsPerBatch)
            throw new UserInputException($"{data.Count} training patients, fewer than the {patientsPerBatch} patients per batch: lower the batch or add patients");
        if (needsComparablePair && !HasComparablePair(data, Enumerable.Range(0, data.Count).ToArray()))
            throw new UserInputException("no training patient is still at risk at any event time: the Cox loss has no comparable pair");
        _data = data;
        _patients = patientsPerBatch;
        _patches = patchesPerPatient;
        _needsComparablePair = needsComparablePair;
        _rng = new Random(seed);
    }

    public PatientBatch Next()
    {
        var batch = DrawPatients();
        if (_needsComparablePair) EnsureComparablePair(batch);
        return new PatientBatch(batch, batch.Select(DrawRows).ToArray());
    }

    private int[] DrawPatients()
    {
        var batch = new List<int>(_patients);
        while (batch.Count < _patients)
        {
            if (_queue.Count == 0 || _queue.All(batch.Contains))
            {
                var epoch = Enumerable.Range(0, _data.Count).ToArray();
                _rng.Shuffle(epoch);
                _queue.AddRange(epoch);
            }
            int at = _queue.FindIndex(p => !batch.Contains(p));
            batch.Add(_queue[at]);
            _queue.RemoveAt(at);
        }
        return batch.ToArray();
    }

    private void EnsureComparablePair(int[] batch)
    {
        for (int attempt = 0; attempt < SwapAttempts && !HasComparablePair(_data, batch); attempt++)
        {
            var candidates = _events.Where(e => !batch.Contains(e)).ToArray();
            if (candidates.Length == 0) return;
            batch[_rng.Next(batch.Length)] = candidates[_rng.Next(candidates.Length)];
        }
    }

    private long[] DrawRows(int patient)
    {
        var rows = _data.Rows[patient];
        if (rows.Length <= _patches) return rows;
        var pool = (long[])rows.Clone();
        for (int i = 0; i < _patches; i++) // partial Fisher–Yates
        {
            int j = i + _rng.Next(pool.Length - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool[.._patches];
    }

    private static bool HasComparablePair(PatientPatches data, int[] patients) =>
        patients.Any(i => data.Event[i] && patients.Any(j => j != i && data.Time[j] >= data.Time[i]));
}
