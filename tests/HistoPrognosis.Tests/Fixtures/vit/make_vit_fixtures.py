"""Builds the ViT test fixtures with the real timm (huggingface/pytorch-image-models).

Run with Debian's python3-torch and timm's source on the path:
    PYTHONPATH=/path/to/pytorch-image-models /usr/bin/python3 make_vit_fixtures.py OUT_DIR
For each layout: a timm/Hugging Face model folder (config.json, model.safetensors or pytorch_model.bin) with every
parameter randomised (norm and layer-scale weights too, so no branch hides behind timm's initial values), and
expected.safetensors with the inputs (preprocessed, N x 3 x H x W float32) at the native size and at one other size,
timm's forward_features tokens and the pooled features (timm's forward_head without a classifier; for
global_pool "" the class token concatenated with the mean of the patch tokens, as our cls+mean pooling).
"""
import json, os, struct, sys
import torch
import timm

LAYOUTS = {
    # name: (architecture, model_args, other image size, weights file)
    "token": ("vit_small_patch16_224", dict(img_size=32, embed_dim=64, depth=2, num_heads=4, dynamic_img_size=True), 48, "model.safetensors"),
    "avg-qknorm-layerscale": ("vit_base_patch16_224", dict(img_size=32, embed_dim=48, depth=2, num_heads=3, global_pool="avg", class_token=False,
                                                        qk_norm=True, init_values=1e-5, dynamic_img_size=True), 64, "model.safetensors"),
    "reg-noembedclass-swiglupacked": ("vit_huge_patch14_224", dict(img_size=28, embed_dim=48, depth=2, num_heads=4, reg_tokens=4, no_embed_class=True,
                                                                   mlp_layer="swiglupacked", act_layer="silu", init_values=1e-5, global_pool="",
                                                                   mlp_ratio=2.66667 * 2, dynamic_img_size=True), 42, "model.safetensors"),
    "swiglu-prenorm-geglutanh": ("vit_base_patch16_224", dict(img_size=32, embed_dim=32, depth=3, num_heads=2, mlp_layer="swiglu", pre_norm=True,
                                                             act_layer="gelu_tanh", dynamic_img_size=True), 48, "pytorch_model.bin"),
    "dinov2-reg4": ("vit_small_patch14_reg4_dinov2", dict(img_size=28, embed_dim=48, depth=2, num_heads=3, dynamic_img_size=True), 56, "model.safetensors"),
}
MLP = {"swiglupacked": timm.layers.SwiGLUPacked, "swiglu": timm.layers.SwiGLU}
MEAN, STD = [0.5, 0.45, 0.4], [0.25, 0.2, 0.3]


def save_safetensors(path, tensors):
    """The safetensors format by hand (no package in Debian): u64 header length, JSON header, raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().to(torch.float32)
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def randomise(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("gamma"):
                p.copy_(0.5 + torch.rand(p.shape, generator=generator))
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=generator))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else p.shape[-1]
                p.copy_(torch.randn(p.shape, generator=generator) / max(1, fan_in) ** 0.5)


def main(out):
    for index, (name, (architecture, args, other, weights)) in enumerate(LAYOUTS.items()):
        generator = torch.Generator().manual_seed(100 + index)
        kwargs = dict(args)
        for key, table in (("mlp_layer", MLP), ("act_layer", None)):
            if key in kwargs and table is not None:
                kwargs[key] = table[kwargs[key]]
        model = timm.create_model(architecture, pretrained=False, num_classes=0, **kwargs).eval()
        randomise(model, generator)
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        state = model.state_dict()
        if weights.endswith(".bin"):
            torch.save(state, os.path.join(folder, weights))
        else:
            save_safetensors(os.path.join(folder, weights), state)
        size = args["img_size"]
        config = {"architecture": architecture, "num_classes": 0, "model_args": dict(args, num_classes=0),
                  "pretrained_cfg": {"mean": MEAN, "std": STD, "input_size": [3, size, size], "interpolation": "bicubic"}}
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
        expected = {}
        for label, px in (("native", size), ("other", other)):
            x = torch.randn((2, 3, px, px), generator=generator)
            with torch.no_grad():
                tokens = model.forward_features(x)
                if model.global_pool:
                    pooled = model.forward_head(tokens)
                else:
                    pooled = torch.cat([tokens[:, 0], tokens[:, model.num_prefix_tokens:].mean(1)], 1)
            expected[f"input_{label}"] = x
            expected[f"tokens_{label}"] = tokens
            expected[f"pooled_{label}"] = pooled
        save_safetensors(os.path.join(folder, "expected.safetensors"), expected)
        print(name, architecture, {k: list(v.shape) for k, v in expected.items()})


if __name__ == "__main__":
    main(sys.argv[1])
