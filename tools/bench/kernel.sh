#!/usr/bin/env bash
# Compares `driftsim bench kernel` (release build) with the plain C binary heap in hold.c on the
# same workload and the same GSL taus2 stream, at several populations. Prints both medians, their
# ratio, and checks that both end at the same simulated time (same draws, same order).
#
# Usage: tools/bench/kernel.sh [EVENTS] [REPETITIONS] [POPULATIONS...]
#   defaults: 10000000 events, 5 repetitions, populations 1000 100000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
events="${1:-10000000}"; reps="${2:-5}"; shift $(( $# > 2 ? 2 : $# )) || true
pops=("$@"); [ ${#pops[@]} -gt 0 ] || pops=(1000 100000)

cc -O2 -o "$root/tools/bench/hold_c" "$root/tools/bench/hold.c" $(pkg-config --cflags --libs gsl)
(cd "$root" && swift build -c release --product driftsim >/dev/null)
bin="$(cd "$root" && swift build -c release --show-bin-path)/driftsim"

printf '%-10s %14s %14s %8s %s\n' population "swift ev/s" "C ev/s" ratio "same final time"
for n in "${pops[@]}"; do
  s=$("$bin" bench kernel --population "$n" --events "$events" --repetitions "$reps" --quiet --json -)
  c=$("$root/tools/bench/hold_c" "$n" "$events" "$reps" 1 2>/dev/null)
  python3 - "$n" "$s" "$c" <<'PY'
import json, sys
n, s, c = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
same = s["finalSimulatedTimeSeconds"] == c["finalSimulatedTimeSeconds"]
print(f'{n:<10} {s["eventsPerSecond"]/1e6:12.3f} M {c["eventsPerSecond"]/1e6:12.3f} M {s["eventsPerSecond"]/c["eventsPerSecond"]:8.3f} {"yes" if same else "NO"}')
sys.exit(0 if same else 1)
PY
done
