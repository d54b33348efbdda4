#!/usr/bin/env bash
# Builds the benchmark slide: CMU-1-Small-Region (real H&E, 0.499 µm/px) replicated 19 x 14 times into a
# 42,180 x 41,538 px pyramidal JPEG TIFF (tiled 256, Q 85, resolution tags set), about 1.75 gigapixels.
# Needs Debian's libvips-tools (the `vips` command). Usage: make_big_slide.sh OUT.tif
set -euo pipefail
out=${1:?usage: make_big_slide.sh OUT.tif}
src=${SLIDE:-$(dirname "$0")/../../tests/HistoPrognosis.Tests/Fixtures/wsi/CMU-1-Small-Region.svs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vips tiffload "$src" "$tmp/base.v" --page 0          # tiffload, not openslideload: plain RGB
vips replicate "$tmp/base.v" "$tmp/big.v" 19 14
# 1000 / 0.499 µm/px = 2004 px/mm
vips tiffsave "$tmp/big.v" "$out.part" --tile --tile-width 256 --tile-height 256 --pyramid \
  --compression jpeg --Q 85 --xres 2004 --yres 2004
mv "$out.part" "$out"
vipsheader "$out"
