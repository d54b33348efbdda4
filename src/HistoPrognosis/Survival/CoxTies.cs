namespace HistoPrognosis.Survival;

/// <summary>How the Cox partial likelihood treats tied event times (R's <c>coxph(ties=...)</c>).</summary>
public enum CoxTies
{
    /// <summary>Efron's approximation, R's default.</summary>
    Efron,
    /// <summary>Breslow's approximation.</summary>
    Breslow,
}

/// <summary>The Cox model cannot be fitted as asked; <see cref="Covariate"/> names the covariate at fault when known.</summary>
public sealed class CoxFitException(string message, string? covariate = null) : ArgumentException(message)
{
    public string? Covariate { get; } = covariate;
}
