namespace HistoPrognosis.Survival;

/// <summary>
/// The least patients and events a stage works on (training a model, a held-out cross-validation fold, an
/// evaluation), from the config keys it names. Checked before the stage runs, so a cohort too small for its numbers
/// fails saying the stage, the count found and the minimum, instead of training on nothing or reporting an undefined
/// C-index. Beyond the counts, at least one pair of patients must be comparable (see
/// <see cref="Concordance.ComparablePairs"/>): without one the Cox loss is flat and every C-index undefined.
/// </summary>
public sealed record CohortMinimum(int Patients, int Events, string PatientsKey, string EventsKey)
{
    /// <summary>Below these no stage's numbers are defined (a C-index needs two patients and an event).</summary>
    public const int LeastPatients = 2, LeastEvents = 1;

    /// <param name="stage">names the stage and its input, e.g. "cohort.csv: fold 2 of 5, held out"</param>
    public void Check(string stage, ReadOnlySpan<double> time, ReadOnlySpan<bool> @event)
    {
        int n = time.Length, events = 0;
        foreach (bool e in @event) if (e) events++;
        if (n < Patients) throw new UserInputException($"{stage}: {n} patient(s), at least {Patients} needed ({PatientsKey})");
        if (events < Events) throw new UserInputException($"{stage}: {events} event(s) among {n} patients, at least {Events} needed ({EventsKey})");
        if (Concordance.ComparablePairs(time, @event) == 0)
            throw new UserInputException($"{stage}: no two of the {n} patients can be compared (every event is tied with everyone still at risk, e.g. all at time 0); the Cox loss and the C-index are undefined");
    }

    /// <summary>Refuses minimums below what any stage needs.</summary>
    public void Validate()
    {
        if (Patients < LeastPatients) throw new UserInputException($"{PatientsKey} must be at least {LeastPatients}, got {Patients}");
        if (Events < LeastEvents) throw new UserInputException($"{EventsKey} must be at least {LeastEvents}, got {Events}");
    }
}
