#!/usr/bin/env bash
# Side-by-side throughput of the ResNet18 backbone: C# (TorchSharp) then the PyTorch peer, same threads, one after
# the other on an otherwise idle machine. Needs Debian's python3-torch (run with /usr/bin/python3, not a pyenv python) for the peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads="${1:-2}"
dotnet build -c Release bench/HistoPrognosis.Bench -v q -nologo >/dev/null
echo "== C# (TorchSharp)"
OMP_NUM_THREADS="$threads" dotnet bench/HistoPrognosis.Bench/bin/Release/net10.0/linux-x64/HistoPrognosis.Bench.dll --backbone cpu
echo "== Python peer"
OMP_NUM_THREADS="$threads" /usr/bin/python3 bench/backbone/peer.py "$threads"
