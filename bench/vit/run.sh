#!/usr/bin/env bash
# Side-by-side ViT throughput: C# (TorchSharp) then timm on Debian's python3-torch, same threads, one after the other on
# an otherwise idle machine. TIMM_SRC: a checkout of huggingface/pytorch-image-models (its timm/ folder is imported).
# The peer needs python3-torch, python3-torchvision and a real BLAS (libopenblas0-pthread): see RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads="${1:-2}"
: "${TIMM_SRC:?set TIMM_SRC to a pytorch-image-models checkout}"
dotnet build -c Release bench/HistoPrognosis.Bench -v q -nologo >/dev/null
echo "== C# (TorchSharp)"
OMP_NUM_THREADS="$threads" dotnet bench/HistoPrognosis.Bench/bin/Release/net10.0/linux-x64/HistoPrognosis.Bench.dll --vit
echo "== Python peer (timm)"
OMP_NUM_THREADS="$threads" PYTHONPATH="$TIMM_SRC" /usr/bin/python3 bench/vit/peer.py "$threads"
