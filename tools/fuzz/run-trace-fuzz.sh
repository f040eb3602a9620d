#!/usr/bin/env bash
# Builds the libFuzzer target for the trace reader (Sources/DriftSimTrace compiled directly with swiftc,
# -sanitize=fuzzer,address) and runs it for a bounded time.
#
#   tools/fuzz/run-trace-fuzz.sh [SECONDS]      (default 60)
#
# Seeds: the golden traces in traces/ (their first 32 KiB and a few small variants). Per-input
# timeout 5 s (a hang fails the run), memory limit 2 GB. Exit status: 0 when no crash, leak, hang or
# memory blow-up was found in the time given; libFuzzer's non-zero status otherwise (the crashing
# input is written to $WORK/crash-*).
set -euo pipefail

SECONDS_TO_RUN="${1:-60}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${FUZZ_WORK:-$ROOT/.build-trace/fuzz}"
mkdir -p "$WORK/corpus" "$WORK/seeds"

echo "building the fuzz target..." >&2
source "$ROOT/tools/fuzz/c-modules.sh"
build_c_modules "$ROOT" "$WORK"
swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name Trace "${C_MODULE_ARGS[@]}" \
  "$ROOT"/Sources/DriftSimTrace/*.swift "$ROOT"/Sources/DriftSimSupport/ReportableError.swift "$ROOT/tools/fuzz/TraceReaderFuzz.swift" \
  -o "$WORK/trace-reader-fuzz"

# Seeds: small prefixes and whole small traces, so mutations reach headers, blocks and footers.
for f in "$ROOT"/traces/*.dstrace; do
  name="$(basename "$f" .dstrace)"
  head -c 32768 "$f" > "$WORK/seeds/$name-32k"
  head -c 4096 "$f" > "$WORK/seeds/$name-4k"
done
cp "$ROOT/traces/golden-ctmc-v1.0.dstrace" "$WORK/seeds/ctmc-whole"

cd "$WORK"
echo "fuzzing the trace reader for ${SECONDS_TO_RUN} s..." >&2
./trace-reader-fuzz -max_total_time="$SECONDS_TO_RUN" -timeout=5 -rss_limit_mb=2048 -max_len=40000 \
  -print_final_stats=1 corpus seeds
