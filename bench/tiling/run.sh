#!/usr/bin/env bash
# Tiling benchmark, run side by side: `histoprog tile` (Release; libvips and OpenSlide backends) vs the Python peer
# (python3-openslide + numpy), on a >= 40k x 40k pyramidal JPEG TIFF; tiles/s, MP/s, peak RSS; tjbench for the JPEG
# decode ceiling. Needs: apt-get install libopenslide0 python3-openslide python3-numpy libvips-tools libjpeg-turbo-progs time
# Usage: bench/tiling/run.sh [WORKDIR]   (default /tmp/hp-bench-tiling; the 1.75 GP slide is built once there)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-/tmp/hp-bench-tiling}
mkdir -p "$work"
slide="$work/big.tif"
[ -f "$slide" ] || "$here/make_big_slide.sh" "$slide"
dotnet build -c Release "$repo/src/HistoPrognosis.Cli" -o "$work/cli" >/dev/null
cli="$work/cli/histoprog"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load: $(cut -d" " -f1-3 /proc/loadavg)"
measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%M %e" -o "$work/time.txt" "$@" > "$work/out.json"
  read -r rss wall < "$work/time.txt"
  echo "== $label: wall ${wall}s, peak RSS $((rss / 1024)) MB"
  cat "$work/out.json"
}
for backend in Vips OpenSlide; do
  rm -rf "$work/out-$backend"
  measure "histoprog tile ($backend)" "$cli" tile "$slide" --out "$work/out-$backend" --mpp 0.499 --tile-size 256 --backend "$backend" --json
done
measure "python peer (openslide + numpy)" /usr/bin/python3 "$here/peer_openslide.py" "$slide"
# JPEG decode ceiling: one 256 px tissue tile of the same quality, decoded by libjpeg-turbo's own benchmark.
vips crop "$slide" "$work/tile.jpg[Q=85]" 1024 1280 256 256
echo "== tjbench (libjpeg-turbo, 1 thread) on a 256 px Q85 tile:"
tjbench "$work/tile.jpg" -benchtime 3 -warmup 1 2>&1 | grep -iE "decomp|Mpixels|Dest" | head -6 || true
