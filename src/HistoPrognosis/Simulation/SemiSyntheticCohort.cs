using System.Globalization;
using System.Text;
using HistoPrognosis.Data;
using HistoPrognosis.IO;

namespace HistoPrognosis.Simulation;

/// <summary>One simulated subject; <see cref="TumourBurden"/> and <see cref="Eta"/> are ground truth for evaluation only.</summary>
public sealed record CohortSubject(string PatientId, double TimeMonths, bool Event, int Age, double TumourBurden, double Eta)
{
    /// <summary>1 = event by 60 months, 0 = followed beyond 60 months, null = censored before 60 months (unknown).</summary>
    public int? FiveYearStatus => Event && TimeMonths <= 60 ? 1 : TimeMonths > 60 ? 0 : null;
}

/// <summary>
/// Simulated five-year follow-up attached to real tissue bags, as specified in docs/semi-synthetic-cohort.md (v1):
/// the hazard is driven by the patient's real IDC burden (mean patch label) and a simulated age, Weibull
/// proportional hazards, uniform censoring. One generator, patients in stable order, draws per patient in the
/// order age (two uniforms, Box–Muller), event time, censoring time.
/// </summary>
public static class SemiSyntheticCohort
{
    public const double WeibullScaleMonths = 180, WeibullShape = 1.3, CensorMinMonths = 24, CensorMaxMonths = 150;

    public static IReadOnlyList<CohortSubject> Simulate(PatchTable patches, int seed)
    {
        var burden = patches.Patches.GroupBy(p => p.PatientId).ToDictionary(g => g.Key, g =>
            g.Average(p => p.Label ?? throw new UserInputException($"{patches.SourcePath}, row {p.Line}: the simulation needs a 'label' for every patch")));
        var rng = new Random(seed);
        var subjects = new List<CohortSubject>();
        foreach (var id in patches.PatientIds)
        {
            double f = burden[id];
            int age = (int)Math.Clamp(Math.Round(60 + 10 * StandardNormal(rng), MidpointRounding.AwayFromZero), 30, 90);
            double eta = 1.0 * (f - 0.30) / 0.25 + 0.4 * (age - 60) / 10.0;
            double u = 1 - rng.NextDouble(); // (0, 1]: ln(u) finite
            double eventTime = WeibullScaleMonths * Math.Pow(-Math.Log(u) / Math.Exp(eta), 1 / WeibullShape);
            double censorTime = CensorMinMonths + (CensorMaxMonths - CensorMinMonths) * rng.NextDouble();
            bool observed = eventTime <= censorTime;
            subjects.Add(new CohortSubject(id, Math.Min(eventTime, censorTime), observed, age, f, eta));
        }
        return subjects;
    }

    private static double StandardNormal(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Writes <c>patient_id, time_months, event, age, tumour_burden, eta</c> (temporary file, then rename).</summary>
    public static void WriteCsv(IEnumerable<CohortSubject> subjects, string path)
    {
        CsvFile.Write(path, ["patient_id", "time_months", "event", "age", "tumour_burden", "eta"],
            subjects.Select(s => new object?[] { s.PatientId, s.TimeMonths, s.Event, s.Age, s.TumourBurden, s.Eta }));
    }
}
