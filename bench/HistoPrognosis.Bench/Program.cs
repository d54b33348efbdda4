using BenchmarkDotNet.Running;
using HistoPrognosis.Bench;

// Benchmarks live here, never in timed tests: `dotnet run -c Release --project bench/HistoPrognosis.Bench -- --filter '*'`.
// `-- --quick` runs a short Stopwatch timing of the survival targets instead.
// `-- --stain` times the stain normalization targets the same way.
// `-- --backbone [cpu|cuda]` times the ResNet18 (extraction and a training step), see bench/backbone/run.sh.
// `-- --vit` times ViT-S/B extraction, ViT-L memory and LoRA vs full steps, see bench/vit/run.sh.
// `-- --onnx-probe VARIANT…` times ONNX Runtime session options (OnnxProbe).
// `-- --end-to-end [SIZE]` times an end-to-end prognosis step against a patch-classification step (CPU).
// `-- --claims [FOLDER]` times a per-slide claim (SharedClaim) in FOLDER (default the temp folder; point it at NFS).
if (args.Length > 0 && args[0] == "--backbone")
{
    BackboneThroughput.Run(Console.Out, args.Length > 1 ? args[1] : "cpu");
    return;
}
if (args.Length > 0 && args[0] == "--onnx-probe")
{
    OnnxProbe.Run(Console.Out, args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "--vit")
{
    VitThroughput.Run(Console.Out);
    return;
}
if (args.Length > 0 && args[0] == "--end-to-end")
{
    EndToEndThroughput.Run(Console.Out, args.Length > 1 ? int.Parse(args[1]) : 64);
    return;
}
if (args.Length > 0 && args[0] == "--claims")
{
    ClaimOverhead.Run(Console.Out, args.Length > 1 ? args[1] : Path.GetTempPath());
    return;
}
if (args.Contains("--stain"))
{
    StainBenchmarks.RunQuick(Console.Out);
    return;
}
if (args.Contains("--quick"))
{
    SurvivalBenchmarks.RunQuick(Console.Out);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
