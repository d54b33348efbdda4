"""Builds the ViT test fixtures with the real timm (huggingface/pytorch-image-models).

Run with Debian's python3-torch and timm's source on the path:
    PYTHONPATH=/path/to/pytorch-image-models /usr/bin/python3 make_vit_fixtures.py OUT_DIR
For each layout: a timm/Hugging Face model folder (config.json, model.safetensors or pytorch_model.bin) with every
parameter randomised (norm and layer-scale weights too, so no branch hides behind timm's initial values), and
expected.safetensors with the inputs (preprocessed, N x 3 x H x W float32) at the native size and at one other size,
timm's forward_features tokens and the pooled features (timm's forward_head without a classifier; for
global_pool "" the class token concatenated with the mean of the patch tokens, as our cls+mean pooling).

The hf-* layouts are Hugging Face transformers folders (ViTModel, Dinov2Model): a timm model built with
transformers' semantics (LayerNorm eps from the config, DINOv2's SwiGLU width rule), its state dict renamed the way
transformers' conversion scripts (models/vit/convert_vit_timm_to_pytorch.py, models/dinov2/convert_dinov2_to_hf.py)
rename timm/DINOv2 weights, plus config.json and preprocessor_config.json as save_pretrained writes them. Their
expected feature is last_hidden_state[:, 0]; at the other size the position embedding is resampled as transformers'
interpolate_pos_encoding does (bicubic, align_corners=False, no antialiasing), then the timm model runs at that grid.
"""
import json, os, struct, sys
from functools import partial
import torch
import torch.nn.functional as F
import timm
from timm.models.vision_transformer import VisionTransformer

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
HF_LAYOUTS = {
    # name: (model_type, timm kwargs, transformers config, other image size, weights file)
    "hf-vit": ("vit", dict(img_size=32, patch_size=8, embed_dim=48, depth=2, num_heads=4, mlp_ratio=2.0, norm_layer=partial(torch.nn.LayerNorm, eps=1e-12)),
               dict(hidden_size=48, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96, hidden_act="gelu", layer_norm_eps=1e-12,
                    image_size=32, patch_size=8, num_channels=3, qkv_bias=True), 48, "model.safetensors"),
    # Dinov2SwiGLUFFN width: (int(int(48 * 4) * 2 / 3) + 7) // 8 * 8 = 128, packed fc1 of 256 = timm's int(48 * 256 / 48)
    "hf-dinov2-swiglu": ("dinov2", dict(img_size=42, patch_size=14, embed_dim=48, depth=2, num_heads=3, mlp_ratio=256 / 48, init_values=1.0,
                                        mlp_layer=timm.layers.SwiGLUPacked, act_layer=torch.nn.SiLU),
                         dict(hidden_size=48, num_hidden_layers=2, num_attention_heads=3, mlp_ratio=4, hidden_act="gelu", layer_norm_eps=1e-6,
                              image_size=42, patch_size=14, num_channels=3, qkv_bias=True, layerscale_value=1.0, use_swiglu_ffn=True), 28, "pytorch_model.bin"),
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


def to_transformers(state, model_type, depth, dim, generator):
    """timm names onto transformers' (the renaming of transformers' conversion scripts), q/k/v split from qkv."""
    out = {"embeddings.cls_token": state["cls_token"], "embeddings.position_embeddings": state["pos_embed"],
           "embeddings.patch_embeddings.projection.weight": state["patch_embed.proj.weight"],
           "embeddings.patch_embeddings.projection.bias": state["patch_embed.proj.bias"],
           "layernorm.weight": state["norm.weight"], "layernorm.bias": state["norm.bias"]}
    vit = model_type == "vit"
    for i in range(depth):
        b, l = f"blocks.{i}.", f"encoder.layer.{i}."
        for kind in ("weight", "bias"):
            for n, part in enumerate(("query", "key", "value")):
                out[f"{l}attention.attention.{part}.{kind}"] = state[f"{b}attn.qkv.{kind}"][n * dim:(n + 1) * dim]
            out[f"{l}attention.output.dense.{kind}"] = state[f"{b}attn.proj.{kind}"]
            out[f"{l}{'layernorm_before' if vit else 'norm1'}.{kind}"] = state[f"{b}norm1.{kind}"]
            out[f"{l}{'layernorm_after' if vit else 'norm2'}.{kind}"] = state[f"{b}norm2.{kind}"]
            out[f"{l}{'intermediate.dense' if vit else 'mlp.weights_in'}.{kind}"] = state[f"{b}mlp.fc1.{kind}"]
            out[f"{l}{'output.dense' if vit else 'mlp.weights_out'}.{kind}"] = state[f"{b}mlp.fc2.{kind}"]
        if not vit:
            out[f"{l}layer_scale1.lambda1"] = state[f"{b}ls1.gamma"]
            out[f"{l}layer_scale2.lambda1"] = state[f"{b}ls2.gamma"]
    if vit:  # ViTModel's pooler (dense + tanh) is not the feature the model cards use: present, and ignored
        out["pooler.dense.weight"] = torch.randn((dim, dim), generator=generator)
        out["pooler.dense.bias"] = torch.randn((dim,), generator=generator)
    else:
        out["embeddings.mask_token"] = torch.zeros((1, dim))
    return {k: v.clone().contiguous() for k, v in out.items()}


def transformers_positions(pos_embed, grid, new_grid):
    """transformers' interpolate_pos_encoding: the class position kept, the patch grid resampled without antialiasing."""
    dim = pos_embed.shape[-1]
    patches = pos_embed[:, 1:].reshape(1, grid, grid, dim).permute(0, 3, 1, 2)
    patches = F.interpolate(patches, size=(new_grid, new_grid), mode="bicubic", align_corners=False)
    return torch.cat([pos_embed[:, :1], patches.permute(0, 2, 3, 1).reshape(1, -1, dim)], 1)


def main_transformers(out):
    for index, (name, (model_type, kwargs, config, other, weights)) in enumerate(HF_LAYOUTS.items()):
        generator = torch.Generator().manual_seed(200 + index)
        model = VisionTransformer(num_classes=0, **kwargs).eval()
        randomise(model, generator)
        state = model.state_dict()
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        hf = to_transformers(state, model_type, kwargs["depth"], kwargs["embed_dim"], generator)
        if weights.endswith(".bin"):
            torch.save(hf, os.path.join(folder, weights))
        else:
            save_safetensors(os.path.join(folder, weights), hf)
        architectures = {"vit": "ViTModel", "dinov2": "Dinov2Model"}
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(dict(config, model_type=model_type, architectures=[architectures[model_type]]), f, indent=2)
        with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
            json.dump({"image_processor_type": "ViTImageProcessor" if model_type == "vit" else "BitImageProcessor", "image_mean": MEAN, "image_std": STD,
                       "size": {"height": kwargs["img_size"], "width": kwargs["img_size"]}}, f, indent=2)
        size, patch = kwargs["img_size"], kwargs["patch_size"]
        resized = VisionTransformer(num_classes=0, **dict(kwargs, img_size=other)).eval()
        resized.load_state_dict(dict(state, pos_embed=transformers_positions(state["pos_embed"], size // patch, other // patch)))
        expected = {}
        for label, px, net in (("native", size, model), ("other", other, resized)):
            x = torch.randn((2, 3, px, px), generator=generator)
            with torch.no_grad():
                tokens = net.forward_features(x)
            expected[f"input_{label}"] = x
            expected[f"tokens_{label}"] = tokens
            expected[f"pooled_{label}"] = tokens[:, 0]
        save_safetensors(os.path.join(folder, "expected.safetensors"), expected)
        print(name, model_type, {k: list(v.shape) for k, v in expected.items()})


if __name__ == "__main__":
    main(sys.argv[1])
    main_transformers(sys.argv[1])
