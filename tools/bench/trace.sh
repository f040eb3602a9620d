#!/usr/bin/env bash
# Trace benchmarks (issue 3): write, verify and `summary` throughput, bytes per record, and peak
# memory for growing traces, with `driftsim-replay bench` from a release build. The largest size is
# ≈ 1 GB (45 M records × 24 bytes) to show that memory stays flat; every trace file is deleted
# after its run (space needed: ~1.1 GB in DIR).
#
# Usage: tools/bench/trace.sh [REPETITIONS] [DIR] [RECORDS...]
#   defaults: 5 repetitions, $TMPDIR or /tmp, 1000000 10000000 45000000 records
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
reps="${1:-5}"; dir="${2:-${TMPDIR:-/tmp}}"; shift $(( $# > 2 ? 2 : $# )) || true
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000 45000000)

(cd "$root" && swift build -c release --scratch-path .build-trace --product driftsim-replay >/dev/null)
bin="$root/.build-trace/release/driftsim-replay"

printf '%-10s %12s %9s %16s %16s %16s %12s\n' records "file bytes" "B/record" "write Mrec/s" "verify Mrec/s" \
  "summary Mrec/s" "maxRSS MB"
for n in "${sizes[@]}"; do
  err="$(mktemp)"
  json=$("$bin" bench --records "$n" --repetitions "$reps" --directory "$dir" --quiet --json - 2>"$err") \
    || { cat "$err" >&2; rm -f "$err"; exit 1; }
  rm -f "$err"
  python3 - "$json" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
n = d["records"]
print(f'{n:<10} {d["fileBytes"]:>12} {d["bytesPerRecord"]:>9.2f} {d["writeRecordsPerSecond"]/1e6:>16.1f} '
      f'{d["verifyRecordsPerSecond"]/1e6:>16.1f} {d["summaryRecordsPerSecond"]/1e6:>16.1f} '
      f'{max(d["maxRSSBytesAfterWrite"], d["maxRSSBytesAfterRead"])/1e6:>12.1f}')
PY
done
echo "(medians of $reps runs each; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
