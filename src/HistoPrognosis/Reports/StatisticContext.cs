using System.Globalization;
using HistoPrognosis.Configuration;
using HistoPrognosis.Survival;

namespace HistoPrognosis.Reports;

/// <summary>
/// How a report words a statistic it could not compute, or whose interval rests on fewer bootstrap resamples than
/// asked for: every report (evaluation, cross-validation) lists these warnings instead of printing NaN.
/// </summary>
public sealed record StatisticContext(int Patients, int BootstrapSamples, double MinDefinedShare)
{
    private static readonly string ShareKey = "evaluation." + ConfigNames.Key(nameof(EvaluationConfig.MinDefinedShare));

    /// <param name="undefinedBecause">why the statistic can be undefined on these patients (empty when it cannot)</param>
    public IEnumerable<string> Warnings(string name, Estimate? estimate, string undefinedBecause)
    {
        if (estimate is null)
        {
            yield return $"{name} is undefined on these {Patients} patients{(undefinedBecause.Length > 0 ? $" ({undefinedBecause})" : "")}";
            yield break;
        }
        if (BootstrapSamples == 0) yield break;
        int defined = BootstrapSamples - estimate.UndefinedResamples;
        if (estimate.Lower is null)
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{name}: no 95% interval: {defined} of {BootstrapSamples} bootstrap resamples gave a defined value, fewer than the share {MinDefinedShare} needed ({ShareKey})");
        else if (estimate.UndefinedResamples > 0)
            yield return $"{name}: {estimate.UndefinedResamples} of {BootstrapSamples} bootstrap resamples gave no defined value and were left out of the interval";
    }
}
