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
  # The same peer with glibc keeping large blocks in the heap, what the C# side sets in-process (NativeHeap): the
  # peer's fair figure under the same allocator behaviour.
  echo "== peer_best, heap kept (MALLOC_MMAP_THRESHOLD_/TRIM/TOP_PAD) load $(cat /proc/loadavg)"
  MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=536870912 MALLOC_TOP_PAD_=67108864 \
    OMP_NUM_THREADS="$threads" /usr/bin/python3 ../shared/tools/peer_best.py bench/backbone/peer.py "$threads"
  echo "== peer.py training step, heap kept"
  MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=536870912 MALLOC_TOP_PAD_=67108864 \
    OMP_NUM_THREADS="$threads" /usr/bin/python3 bench/backbone/peer.py "$threads" | grep "train step"
done
echo "=== end $(date +%T) load $(cat /proc/loadavg)"
