using BenchmarkDotNet.Running;
using HistoPrognosis.Bench;

// Benchmarks live here, never in timed tests: `dotnet run -c Release --project bench/HistoPrognosis.Bench -- --filter '*'`.
// `-- --quick` runs a short Stopwatch timing of the survival targets instead.
if (args.Contains("--quick"))
{
    SurvivalBenchmarks.RunQuick(Console.Out);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
