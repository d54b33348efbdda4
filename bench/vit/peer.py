"""Python peer for bench/vit: timm's VisionTransformer (its public source on PYTHONPATH, Debian python3-torch) run the
best way an experienced user would on a CPU: eval, no_grad, TorchScript traced, frozen and optimize_for_inference
(oneDNN); ViT-S/16 and ViT-B/16 at 224 px batch 32, timed as VitThroughput.cs does (warm-up 2, then >= 8 s and
>= 3 batches); the peak RSS of one ViT-L/16 batch of 32 (plain eval + no_grad; freezing copies the weights); a full
fine-tuning step of ViT-S/16 at batch 16. Usage: PYTHONPATH=timm-src python3 peer.py [THREADS]"""
import importlib.util, os, resource, sys, time
import torch
import timm

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)


# The same timing as the ResNet peer (warm-up 2, then >= 8 s and >= 3 steps).
_spec = importlib.util.spec_from_file_location("backbone_peer", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "backbone", "peer.py"))
_backbone_peer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_backbone_peer)
timed = _backbone_peer.timed


print(f"threads {torch.get_num_threads()}, torch {torch.__version__}, timm {timm.__version__}")
for name in ("vit_small_patch16_224", "vit_base_patch16_224"):
    model = timm.create_model(name, pretrained=False, num_classes=0).eval()
    x = torch.randn(32, 3, 224, 224)
    with torch.no_grad():
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x[:2])))
        print(f"extract {name} 224px batch 32 [eval+no_grad]: {timed(lambda: model(x), 32):.1f} patches/s")
        print(f"extract {name} 224px batch 32 [TorchScript frozen+oneDNN]: {timed(lambda: frozen(x), 32):.1f} patches/s")
large = timm.create_model("vit_large_patch16_224", pretrained=False, num_classes=0).eval()
with torch.no_grad():
    start = time.perf_counter()
    large(torch.randn(32, 3, 224, 224))
print(f"extract vit_large_patch16_224 224px batch 32: one batch in {time.perf_counter() - start:.1f} s, "
      f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB (process, all of the above included)")
model = timm.create_model("vit_small_patch16_224", pretrained=False, num_classes=1).train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
x, y = torch.randn(16, 3, 224, 224), torch.randint(0, 2, (16,)).float()


def step():
    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
    opt.zero_grad()
    loss.backward()
    opt.step()


print(f"train step vit_small_patch16_224 224px batch 16 [full fine-tuning]: {timed(step, 16):.1f} patches/s, "
      f"{sum(p.numel() for p in model.parameters()):,} trainable weights")
