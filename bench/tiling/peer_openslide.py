#!/usr/bin/env python3
"""Python peer for the tiling benchmark: python3-openslide + numpy doing the same work as `histoprog tile`
at level 0: tissue mask (Otsu on saturation of a downsampled level), 256 px grid, keep tiles with >= 50 % tissue,
read each kept tile through OpenSlide, convert to RGB numpy, background fraction and variance of the Laplacian.
A CLAM/TRIDENT-style patching loop; with --workers N the tissue tiles are split over N processes (each opens the
slide), so it uses the same cores as `histoprog tile`. Prints JSON."""
import json, sys, time
from multiprocessing import Pool
import numpy as np
import openslide

def otsu(values):
    hist = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    total = hist.sum(); levels = np.arange(256)
    w_b = np.cumsum(hist); w_f = total - w_b
    s_b = np.cumsum(hist * levels); m_b = s_b / np.maximum(w_b, 1); m_f = (s_b[-1] - s_b) / np.maximum(w_f, 1)
    between = w_b * w_f * (m_b - m_f) ** 2
    return int(np.argmax(between))

def qc_tiles(job):
    path, todo, size = job
    s = openslide.OpenSlide(path)
    kept = bg = blur = 0
    for x, y in todo:
        rgb = np.asarray(s.read_region((x, y), 0, (size, size)).convert("RGB"))
        mn_t = rgb.min(axis=2); mx_t = rgb.max(axis=2).astype(np.int32)
        if ((mn_t > 210) & ((mx_t - mn_t) * 255 < 25 * mx_t)).mean() > 0.5:
            bg += 1; continue
        g = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]
        if lap.var() < 20:
            blur += 1; continue
        kept += 1
    return kept, bg, blur

def main(path, size=256, workers=1):
    t0 = time.time()
    s = openslide.OpenSlide(path)
    w, h = s.dimensions
    lvl = s.get_best_level_for_downsample(size / 16)
    ds = s.level_downsamples[lvl]
    lw, lh = s.level_dimensions[lvl]
    thumb = np.asarray(s.read_region((0, 0), lvl, (lw, lh)).convert("RGB")).astype(np.int32)
    mx, mn = thumb.max(axis=2), thumb.min(axis=2)
    sat = np.where(mx > 0, (mx - mn) * 255 // np.maximum(mx, 1), 0).astype(np.uint8)
    mask = sat > max(15, otsu(sat))
    todo = []
    for y in range(0, h - size + 1, size):
        for x in range(0, w - size + 1, size):
            x0, y0 = int(x / ds), int(y / ds); x1, y1 = int((x + size) / ds), int((y + size) / ds)
            if mask[y0:max(y1, y0 + 1), x0:max(x1, x0 + 1)].mean() >= 0.5:
                todo.append((x, y))
    s.close()
    if workers > 1:
        with Pool(workers) as pool:
            parts = pool.map(qc_tiles, [(path, todo[i::workers], size) for i in range(workers)])
    else:
        parts = [qc_tiles((path, todo, size))]
    tiles = len(todo)
    kept, bg, blur = (sum(p[i] for p in parts) for i in range(3))
    sec = time.time() - t0
    print(json.dumps({"path": path, "workers": workers, "tiles_read": tiles, "kept": kept, "background": bg, "blur": blur,
                      "seconds": round(sec, 2), "tiles_per_s": round(tiles / sec, 1),
                      "mp_per_s": round(tiles * size * size / 1e6 / sec, 1)}))

if __name__ == "__main__":
    args = sys.argv[1:]
    n = 1
    if "--workers" in args:
        i = args.index("--workers"); n = int(args[i + 1]); del args[i:i + 2]
    main(args[0], workers=n)
