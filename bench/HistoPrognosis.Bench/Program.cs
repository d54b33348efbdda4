using BenchmarkDotNet.Running;

// Benchmarks live here, never in timed tests: `dotnet run -c Release --project bench/HistoPrognosis.Bench -- --filter '*'`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
