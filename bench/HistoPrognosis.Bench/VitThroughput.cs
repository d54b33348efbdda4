using System.Diagnostics;
using HistoPrognosis.Features;
using HistoPrognosis.Models;
using HistoPrognosis.Models.Vit;
using HistoPrognosis.Studies;
using HistoPrognosis.Training;
using static TorchSharp.torch;

namespace HistoPrognosis.Bench;

/// <summary>
/// ViT throughput (bench/vit/run.sh, side by side with bench/vit/peer.py on timm): ViT-S/16 and ViT-B/16 feature
/// extraction at 224 px, batch 32, through the feature engine extraction uses; the peak resident memory of one
/// ViT-L/16 batch of 32; a LoRA step against a full fine-tuning step of ViT-S/16 (rates and trainable weights).
/// Random weights with timm's initialisation: speed does not depend on their values.
/// </summary>
public static class VitThroughput
{
    private static VisionTransformer Create(string name)
    {
        manual_seed(0);
        var vit = new VisionTransformer(VitArchitecture.Resolve(name, null, "bench"), VitPooling.Cls, BackbonePreprocessing.ImageNetMean, BackbonePreprocessing.ImageNetStd);
        vit.InitialiseRandomly();
        return vit;
    }

    public static void Run(TextWriter output)
    {
        output.WriteLine($"threads {get_num_threads()}, cpu");
        foreach (var name in new[] { "vit_small_patch16_224", "vit_base_patch16_224" })
        {
            using var vit = Create(name);
            vit.eval();
            using var noGrad = no_grad();
            using var engine = FeatureEngine.Create(FeatureEngineKind.TorchSharp, vit, CPU);
            using var x = randn(32, 3, 224, 224);
            output.WriteLine($"extract {name} 224px batch 32: {BackboneThroughput.Time(() => engine.Run(x), 32, CPU):F1} patches/s");
        }
        using (var large = Create("vit_large_patch16_224"))
        {
            large.eval();
            ProcessMemory.ResetPeak();
            using var noGrad = no_grad();
            using var engine = FeatureEngine.Create(FeatureEngineKind.TorchSharp, large, CPU);
            using var x = randn(32, 3, 224, 224);
            var clock = Stopwatch.StartNew();
            engine.Run(x);
            output.WriteLine($"extract vit_large_patch16_224 224px batch 32: one batch in {clock.Elapsed.TotalSeconds:F1} s, peak RSS {ProcessMemory.PeakMb()} MiB (process, weights included)");
        }
        foreach (var lora in new[] { false, true })
        {
            using var vit = Create("vit_small_patch16_224");
            using var head = nn.Linear(vit.FeatureDimension, 1);
            LoraAdapters? adapters = lora ? new LoraAdapters(vit, new LoraConfig()) : null;
            var trainable = lora ? adapters!.parameters().Concat(head.parameters()).ToList() : vit.parameters().Concat(head.parameters()).ToList();
            foreach (var p in vit.parameters()) p.requires_grad = !lora;
            vit.train();
            using var optimizer = optim.AdamW(trainable, lr: 1e-4);
            using var x = randn(16, 3, 224, 224);
            using var y = randint(0, 2, [16]).to_type(ScalarType.Float32);
            double rate = BackboneThroughput.Time(() =>
            {
                using var scope = NewDisposeScope();
                var loss = nn.functional.binary_cross_entropy_with_logits(head.forward(vit.forward(x)).squeeze(1), y);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }, 16, CPU);
            output.WriteLine($"train step vit_small_patch16_224 224px batch 16 [{(lora ? "LoRA r8 on qkv+proj" : "full fine-tuning")}]: {rate:F1} patches/s, " +
                             $"{trainable.Sum(p => p.numel()):N0} trainable weights");
            adapters?.Dispose();
        }
    }
}
