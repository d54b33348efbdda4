#!/usr/bin/env bash
# Tiling benchmark, run side by side in the same run: `histoprog tile` (Release, the DEFAULT backend — no --backend
# flag — with the direct libjpeg-turbo tile path) vs the Python peer (python3-openslide + numpy, the same work, in as
# many processes as histoprog has workers) on a >= 40k x 40k pyramidal JPEG TIFF; RUNS rounds (default 5), each
# runner once per round, medians of tiles/s and peak RSS; load average before and after; tjbench for the JPEG decode
# ceiling. Needs: apt-get install libopenslide0 libturbojpeg0 python3-openslide python3-numpy libvips-tools
#   libjpeg-turbo-progs time
# Usage: bench/tiling/run.sh [WORKDIR]   (default /tmp/hp-bench-tiling; the 1.75 GP slide is built once there)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-/tmp/hp-bench-tiling}
runs=${RUNS:-5}
workers=$(nproc)
mkdir -p "$work"
slide="$work/big.tif"
[ -f "$slide" ] || "$here/make_big_slide.sh" "$slide"
dotnet build -c Release "$repo/src/HistoPrognosis.Cli" -o "$work/cli" >/dev/null
cli="$work/cli/histoprog"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load before: $(cat /proc/loadavg)"
cat "$slide" > /dev/null # in the page cache for every runner alike
: > "$work/rows.tsv"
measure() { # label, command...   (appends: label, tiles read, wall s, peak RSS KB)
  local label=$1; shift
  /usr/bin/time -f "%M %e" -o "$work/time.txt" "$@" > "$work/out.json"
  read -r rss wall < "$work/time.txt"
  local tiles
  tiles=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
if "slides" in d:
    s=d["slides"][0]; print(s["tiles"] + s["dropped"]["background"] + s["dropped"]["blur"], s["tiles"], s["seconds"])
else:
    print(d["tiles_read"], d["kept"], d["seconds"])' "$work/out.json")
  echo "== $label: tiles read / kept / own seconds $tiles, wall ${wall}s, peak RSS $((rss / 1024)) MB, load $(cut -d' ' -f1 /proc/loadavg)"
  printf '%s\t%s\t%s\t%s\n' "$label" "${tiles%% *}" "$wall" "$rss" >> "$work/rows.tsv"
}
for round in $(seq 1 "$runs"); do
  rm -rf "$work/out-default"
  measure "histoprog tile (default backend)" "$cli" tile "$slide" --out "$work/out-default" --mpp 0.499 --tile-size 256 --json
  measure "python peer (openslide + numpy, $workers processes)" /usr/bin/python3 "$here/peer_openslide.py" "$slide" --workers "$workers"
done
echo "== load after: $(cat /proc/loadavg)"
echo "== medians of $runs rounds (tiles/s = tiles read / wall):"
/usr/bin/python3 - "$work/rows.tsv" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, tiles, wall, rss = line.rstrip("\n").split("\t")
    rows.setdefault(label, []).append((int(tiles), float(wall), int(rss)))
for label, r in rows.items():
    rate = statistics.median(t / w for t, w, _ in r)
    print(f"{label}: {r[0][0]} tiles, median wall {statistics.median(w for _, w, _ in r):.2f} s, median {rate:.0f} tiles/s "
          f"(runs: {', '.join(f'{t / w:.0f}' for t, w, _ in r)}), median peak RSS {statistics.median(x for _, _, x in r) / 1024:.0f} MB")
EOF
# JPEG decode ceiling: one 256 px tissue tile of the same quality, decoded by libjpeg-turbo's own benchmark.
vips crop "$slide" "$work/tile.jpg[Q=85]" 1024 1280 256 256
echo "== tjbench (libjpeg-turbo, 1 thread) on a 256 px Q85 tile:"
tjbench "$work/tile.jpg" -benchtime 3 -warmup 1 2>&1 | grep -iE "decomp|Mpixels|Dest" | head -6 || true
