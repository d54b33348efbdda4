#!/usr/bin/env python3
"""Python peer for bench/slide-features: the same tiles as `histoprog extract --slides`, read straight from the slide
and run through a frozen ResNet18, the way a CLAM/TRIDENT-style PyTorch user would on a CPU.
- coordinates: the `coords` dataset of the coordinates .h5 that histoprog's slide stage wrote (h5py), its
  `patch_level` / `patch_size` attributes;
- decode: libopenslide through ctypes (openslide-python is not installed), premultiplied ARGB -> RGB, in torch
  DataLoader worker processes (one OpenSlide handle each), overlapped with the network;
- resize: patch_size -> image size, bilinear with antialiasing (what histoprog does), then the CNTK ResNet18's input
  convention (BGR, 0-255 minus ImageNet means);
- network: bench/backbone/peer.py's ResNet18 variant (same architecture as histoprog's imagenet-resnet18; random
  weights: throughput does not depend on their values), eval + no_grad, TorchScript frozen + optimize_for_inference
  (oneDNN), channels_last, as /work/shared/tools/peer_best.py does.
Usage: peer.py COORDS.h5 SLIDE [THREADS] [IMAGE_SIZE] [BATCH] [WORKERS]. Prints one JSON line."""
import ctypes, importlib.util, json, os, sys, time
t0 = time.perf_counter()
import h5py
import numpy as np
import torch
import torch.nn.functional as F

coords_path, slide_path = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
size = int(sys.argv[4]) if len(sys.argv) > 4 else 224
batch = int(sys.argv[5]) if len(sys.argv) > 5 else 32
workers = int(sys.argv[6]) if len(sys.argv) > 6 else 2
torch.set_num_threads(threads)

with h5py.File(coords_path, "r") as f:
    coords = f["coords"][:]
    level = int(f["coords"].attrs["patch_level"])
    read = int(f["coords"].attrs["patch_size"])

lib = ctypes.CDLL("libopenslide.so.0")
lib.openslide_open.restype = ctypes.c_void_p
lib.openslide_open.argtypes = [ctypes.c_char_p]
lib.openslide_get_error.restype = ctypes.c_char_p
lib.openslide_get_error.argtypes = [ctypes.c_void_p]
lib.openslide_read_region.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32), ctypes.c_int64, ctypes.c_int64,
                                      ctypes.c_int32, ctypes.c_int64, ctypes.c_int64]
lib.openslide_close.argtypes = [ctypes.c_void_p]


class Tiles(torch.utils.data.Dataset):
    handle = None  # one OpenSlide handle per worker process

    def __len__(self):
        return len(coords)

    def __getitem__(self, i):
        if Tiles.handle is None:
            Tiles.handle = lib.openslide_open(slide_path.encode())
            if not Tiles.handle or lib.openslide_get_error(Tiles.handle):
                raise RuntimeError(f"openslide cannot open {slide_path}")
        buf = np.empty((read, read), dtype=np.uint32)
        lib.openslide_read_region(Tiles.handle, buf.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)),
                                  int(coords[i, 0]), int(coords[i, 1]), level, read, read)
        rgb = buf.view(np.uint8).reshape(read, read, 4)[:, :, 2::-1]  # little-endian ARGB: bytes B, G, R, A (opaque tissue)
        x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().unsqueeze(0)
        if read != size:
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=read > size)
        return x.round_().clamp_(0, 255).to(torch.uint8)[0]


def worker_init(_):
    torch.set_num_threads(1)


spec = importlib.util.spec_from_file_location("peer", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "backbone", "peer.py"))
peer = importlib.util.module_from_spec(spec); spec.loader.exec_module(peer)
torch.manual_seed(0)


class Features(torch.nn.Module):
    def __init__(self, n):
        super().__init__(); self.n = n

    def forward(self, x):
        return self.n.features(x)


mean_bgr = torch.tensor([103.063, 115.903, 123.152]).view(1, 3, 1, 1)  # histoprog BackbonePreprocessing.MeanBgr
with torch.no_grad():
    model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(Features(peer.Net()).eval())))
    loader = torch.utils.data.DataLoader(Tiles(), batch_size=batch, num_workers=workers, worker_init_fn=worker_init,
                                         prefetch_factor=4 if workers > 0 else None, persistent_workers=False)
    t1 = time.perf_counter()
    n, checksum = 0, 0.0
    for rgb in loader:
        x = (rgb.flip(1).float() - mean_bgr).contiguous(memory_format=torch.channels_last)
        f = model(x)
        n += f.shape[0]
        checksum += float(f.sum())
t2 = time.perf_counter()
print(json.dumps({"tiles": n, "level": level, "read_size": read, "image_size": size, "batch": batch, "workers": workers,
                  "threads": threads, "seconds_total": round(t2 - t0, 2), "seconds_loop": round(t2 - t1, 2),
                  "tiles_per_s": round(n / (t2 - t0), 2), "tiles_per_s_loop": round(n / (t2 - t1), 2)}))
