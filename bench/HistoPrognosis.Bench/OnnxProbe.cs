using System.Diagnostics;
using HistoPrognosis.Models;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace HistoPrognosis.Bench;

/// <summary>
/// `-- --onnx-probe VARIANT…`: the float32 ONNX Runtime graph of the ImageNet ResNet18 under session-option variants
/// (comma-joined: bN batch, tN intra-op threads, sN parallel sessions splitting the batch, spin, ext/basic optimisation
/// level, nomem, noarena, par, key=value session entries; "int8" the int8 engine), PROBE_SIZE px (default 96).
/// </summary>
public static class OnnxProbe
{
    public static void Run(TextWriter output, string[] variants)
    {
        using var backbone = PretrainedWeights.LoadImageNetResNet18();
        backbone.eval();
        var graph = new OnnxGraphBuilder();
        var outName = ((IOnnxExportable)backbone).ExportOnnx(graph, "input");
        var model = graph.Build("input", outName, 512);
        int size = int.Parse(Environment.GetEnvironmentVariable("PROBE_SIZE") ?? "96");
        foreach (var v in variants)
        {
            if (v.StartsWith("int8"))
            {
                var r = BackboneThroughput.ExtractInt8(backbone, size, size == 96 ? 64 : 32);
                output.WriteLine($"{v} ({size}px): {r.Rate:F1} patches/s maxrel {r.MaxRelative:0.0e+0} meanrel {r.MeanRelative:0.0e+0}  load {File.ReadAllText("/proc/loadavg").Trim()}");
                continue;
            }
            var parts = v.Split(',');
            int batch = 64, threads = 2, sessions = 1;
            var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, InterOpNumThreads = 1 };
            bool spin = false;
            foreach (var p in parts.Where(q => q != "base"))
            {
                if (p == "spin") spin = true;
                else if (p.StartsWith("b") && char.IsDigit(p[1])) batch = int.Parse(p[1..]);
                else if (p.StartsWith("t") && char.IsDigit(p[1])) threads = int.Parse(p[1..]);
                else if (p.StartsWith("s") && char.IsDigit(p[1])) sessions = int.Parse(p[1..]);
                else if (p == "spin") spin = true;
                else if (p == "ext") options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED;
                else if (p == "basic") options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC;
                else if (p == "nomem") options.EnableMemoryPattern = false;
                else if (p == "noarena") options.EnableCpuMemArena = false;
                else if (p == "par") options.ExecutionMode = ExecutionMode.ORT_PARALLEL;
                
                else if (p.Contains('=')) options.AddSessionConfigEntry(p[..p.IndexOf('=')], p[(p.IndexOf('=') + 1)..]);
            }
            options.IntraOpNumThreads = threads;
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
            var ss = Enumerable.Range(0, sessions).Select(_ => new InferenceSession(model, options)).ToArray();
            int per = batch / sessions;
            var inputs = Enumerable.Range(0, sessions).Select(i => { var a = new float[per * 3 * size * size]; var r = new Random(i); for (int k = 0; k < a.Length; k++) a[k] = (float)(r.NextDouble() * 100 - 50); return a; }).ToArray();
            var outs = Enumerable.Range(0, sessions).Select(_ => new float[per * 512]).ToArray();
            void RunOne(int i)
            {
                using var iv = OrtValue.CreateTensorValueFromMemory(inputs[i], new long[] { per, 3, size, size });
                using var ov = OrtValue.CreateTensorValueFromMemory(outs[i], new long[] { per, 512 });
                using var ro = new RunOptions();
                ss[i].Run(ro, ["input"], [iv], [outName], [ov]);
            }
            void Step() { if (sessions == 1) RunOne(0); else Parallel.For(0, sessions, new ParallelOptions { MaxDegreeOfParallelism = sessions }, RunOne); }
            double rate = BackboneThroughput.Time(Step, batch, CPU);
            output.WriteLine($"{v} ({size}px): {rate:F1} patches/s   load {File.ReadAllText("/proc/loadavg").Trim()}");
            foreach (var s in ss) s.Dispose();
            options.Dispose();
        }
    }
}
