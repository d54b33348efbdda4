using System.CommandLine;
using HistoPrognosis.Work;

namespace HistoPrognosis.Cli;

/// <summary>
/// <c>--shard</c> of the batch commands (tile, extract): a static share of their inputs, as <c>histoprog work</c>
/// takes (<see cref="WorkShard"/>), but opt-in: absent (or <c>none</c>) means every input, so a batch started inside
/// a Slurm array without the flag still does all of it; <c>auto</c> reads the array index from the environment.
/// </summary>
public static class ShardOption
{
    public static Option<string?> Create(string what) => new("--shard")
    {
        Description = $"i/n: only the {what} at positions i, i+n, … (0 ≤ i < n); auto: the Slurm array task or Kubernetes index; default all",
    };

    public static WorkShard Parse(string? text) => text is null ? WorkShard.Dynamic : WorkShard.Parse(text);
}
