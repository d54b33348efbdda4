#!/usr/bin/env bash
# Slide -> features benchmark, run side by side on an otherwise idle machine, 2 threads each:
#   C#:   histoprog extract --slides MANIFEST (Release build): slide regions decoded straight into the backbone
#         (no PNG), ImageNet ResNet18 at 224 px; tiles/s and peak RSS from /usr/bin/time -v.
#   peer: peer.py (Debian python3-torch 1.13 + h5py + libopenslide via ctypes, DataLoader workers, frozen TorchScript)
#         on the very tiles histoprog kept, read from the same coordinates .h5.
# The full 42k x 41k slide has ~10^4 tissue tiles (minutes per run at ~45 tiles/s on 2 cores), so both sides run on a
# fixed crop of it: the top-left CROP_W x CROP_H px (default 13,320 x 14,835 = 6 x 5 copies of CMU-1-Small-Region),
# re-saved as a pyramidal JPEG TIFF with the same settings. Each timed C# run reuses the tiling (coords .h5) and
# starts from an empty feature cache; the first (untimed-for-the-median) run also tiles.
# Needs: apt-get install libvips-tools libopenslide0 python3-torch python3-h5py python3-numpy time
# Usage: bench/slide-features/run.sh [WORKDIR] [RUNS]   (default /tmp/hp-bench-slide-features, 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-/tmp/hp-bench-slide-features}
runs=${2:-3}
threads=2
crop_w=${CROP_W:-13320}
crop_h=${CROP_H:-14835}
mkdir -p "$work"
command -v vips >/dev/null || { echo "installing libvips-tools"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q libvips-tools >/dev/null; }
big="$work/big.tif"
[ -f "$big" ] || "$repo/bench/tiling/make_big_slide.sh" "$big"
slide="$work/crop-${crop_w}x${crop_h}.tif"
if [ ! -f "$slide" ]; then
  # Debian's vips opens the TIFF through OpenSlide (RGBA): crop, keep RGB, save as make_big_slide.sh does.
  vips crop "$big" "$work/crop.v" 0 0 "$crop_w" "$crop_h"
  vips extract_band "$work/crop.v" "$work/crop3.v" 0 --n 3
  vips tiffsave "$work/crop3.v" "$slide.part.tif" --tile --tile-width 256 --tile-height 256 --pyramid \
    --compression jpeg --Q 85 --xres 2004 --yres 2004
  rm -f "$work/crop.v" "$work/crop3.v"
  mv "$slide.part.tif" "$slide"
fi
printf 'patient_id,slide_path\nP1,%s\n' "$slide" > "$work/manifest.csv"
dotnet build -c Release "$repo/src/HistoPrognosis.Cli" -o "$work/cli" -v q -nologo >/dev/null
cli="$work/cli/histoprog"
export OMP_NUM_THREADS=$threads
echo "== machine: $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== slide: $slide ($(vipsheader "$slide"))"

measure() { # label, command... ; prints wall, peak RSS; leaves stdout in $work/out.txt
  local label=$1; shift
  /usr/bin/time -v -o "$work/time.txt" "$@" > "$work/out.txt" 2> "$work/err.txt" || { cat "$work/err.txt"; return 1; }
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print int($2/1024)}' "$work/time.txt")
  echo "== $label: wall ${wall}s, peak RSS ${rss} MB"
}
# /usr/bin/time needs a program, not a shell function: the command as an array, the cache folder appended.
extract=("$cli" extract --slides "$work/manifest.csv" --tiles "$work/tiles" --backbone imagenet-resnet18 --image-size 224
  --mpp 0.5 --tile-size 256 --feature-cache)

rm -rf "$work/tiles" "$work"/cache-* "$work/results.txt"
measure "C# first run (tile + extract)" "${extract[@]}" "$work/cache-0"
cat "$work/out.txt"
h5=$(ls "$work"/tiles/*/*.h5)
tiles=$(/usr/bin/python3 -c "import h5py,sys; print(len(h5py.File(sys.argv[1])['coords']))" "$h5")
pngs=$(find "$work/tiles" -name '*.png' ! -name '*.mask.png' | wc -l)
echo "== $tiles tissue tiles in $h5; tile PNGs written: $pngs"
for r in $(seq 1 "$runs"); do
  rm -rf "$work/cache-$r"
  measure "C# run $r (extract, tiling reused)" "${extract[@]}" "$work/cache-$r"
  echo "csharp $r tiles $tiles wall $wall rss $rss tiles_per_s $(awk -v n="$tiles" -v w="$wall" 'BEGIN {printf "%.2f", n / w}')" | tee -a "$work/results.txt"
  measure "Python peer run $r" /usr/bin/python3 "$here/peer.py" "$h5" "$slide" "$threads" 224 32 2
  cat "$work/out.txt"
  echo "peer $r tiles $tiles wall $wall rss $rss tiles_per_s $(awk -v n="$tiles" -v w="$wall" 'BEGIN {printf "%.2f", n / w}')" | tee -a "$work/results.txt"
done
echo "== medians over $runs runs (tiles/s from wall time incl. start-up; peak RSS max of the runs)"
for side in csharp peer; do
  grep "^$side " "$work/results.txt" | tail -n "$runs" | awk '{print $10, $8}' | sort -n |
    awk -v s="$side" '{v[NR]=$1; if ($2>m) m=$2} END {printf "%s: median %.2f tiles/s (min %.2f, max %.2f), peak RSS %d MB\n", s, v[int((NR+1)/2)], v[1], v[NR], m}'
done
