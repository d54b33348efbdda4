using System.Globalization;

namespace HistoPrognosis.Data;

/// <summary>How one clinical column is encoded: numeric (standardised with the training mean and sd) or categorical (one-hot over the training levels).</summary>
public sealed record ClinicalColumn(string Name, bool Numeric, double Mean, double Std, string[] Levels)
{
    public int Width => Numeric ? 1 : Levels.Length;
}

/// <summary>
/// Clinical covariates as model inputs, fitted on the training patients only: numeric columns standardised,
/// the others one-hot encoded (a level unseen in training encodes as all zeros, the training mix's reference).
/// Outcome and simulation ground-truth columns are refused: a model that read them would be cheating.
/// </summary>
public sealed record ClinicalEncoder(IReadOnlyList<ClinicalColumn> Columns)
{
    private static readonly string[] Forbidden = ["patient_id", "time_months", "event", "label", "tumour_burden", "eta"];

    public int Width => Columns.Sum(c => c.Width);
    public static ClinicalEncoder Empty { get; } = new(Array.Empty<ClinicalColumn>());

    public static ClinicalEncoder Fit(Cohort training, IReadOnlyList<string> names)
    {
        var columns = new List<ClinicalColumn>();
        foreach (var raw in names)
        {
            var name = raw.Trim();
            if (Forbidden.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new UserInputException($"--clinical: '{name}' is an outcome or ground-truth column and cannot be a model input");
            var values = Texts(training, name);
            if (values.All(v => TryNumber(v, out _)))
            {
                var x = values.Select(v => { TryNumber(v, out var d); return d; }).ToArray();
                double mean = x.Average();
                double sd = Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, x.Length - 1));
                columns.Add(new ClinicalColumn(name, true, mean, sd > 0 ? sd : 1, []));
            }
            else
            {
                columns.Add(new ClinicalColumn(name, false, 0, 1, values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()));
            }
        }
        return new ClinicalEncoder(columns);
    }

    /// <summary>One row of encoded covariates per patient, in cohort order.</summary>
    public float[][] Encode(Cohort cohort)
    {
        var encoded = cohort.Patients.Select(_ => new float[Width]).ToArray();
        int offset = 0;
        foreach (var column in Columns)
        {
            var values = Texts(cohort, column.Name);
            for (int i = 0; i < values.Length; i++)
            {
                if (column.Numeric)
                {
                    if (!TryNumber(values[i], out var v))
                        throw new UserInputException($"{cohort.SourcePath}, row {cohort.Patients[i].Line}, column '{column.Name}': '{values[i]}' is not a number (the model was trained with it numeric)");
                    encoded[i][offset] = (float)((v - column.Mean) / column.Std);
                }
                else
                {
                    int level = Array.IndexOf(column.Levels, values[i]);
                    if (level >= 0) encoded[i][offset + level] = 1;
                }
            }
            offset += column.Width;
        }
        return encoded;
    }

    private static string[] Texts(Cohort cohort, string name)
    {
        if (!cohort.Columns.Contains(name, StringComparer.OrdinalIgnoreCase))
            throw new UserInputException($"{cohort.SourcePath}: clinical column '{name}' is missing (columns: {string.Join(", ", cohort.Columns)})");
        return cohort.Patients.Select(p => p.Columns[name].Length > 0 ? p.Columns[name]
            : throw new UserInputException($"{cohort.SourcePath}, row {p.Line}, column '{name}': empty (clinical covariates may not be missing)")).ToArray();
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
