#!/usr/bin/env bash
# N interleaved rounds of the C# backbone bench and the best-effort PyTorch peer (peer_best.py), with the load before
# each: the figures of bench/RESULTS.md are medians over such rounds. Usage: bench/backbone/rounds.sh [ROUNDS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-5}" threads="${2:-2}"
for r in $(seq 1 "$rounds"); do
  echo "=== round $r $(date +%T) load $(cat /proc/loadavg)"
  bash bench/backbone/run.sh "$threads"
  echo "== peer_best load $(cat /proc/loadavg)"
  OMP_NUM_THREADS="$threads" /usr/bin/python3 ../shared/tools/peer_best.py bench/backbone/peer.py "$threads"
done
echo "=== end $(date +%T) load $(cat /proc/loadavg)"
