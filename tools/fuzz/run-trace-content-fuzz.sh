#!/usr/bin/env bash
# Builds the libFuzzer target for the trace reader's content checks (Sources/DriftSimTrace compiled
# directly with swiftc, -sanitize=fuzzer,address) and runs it for a bounded time. The fuzzer mutates
# record fields of a valid trace and recomputes every CRC, so only content checks can catch the
# changes (see tools/fuzz/TraceContentFuzz.swift for the oracle).
#
#   tools/fuzz/run-trace-content-fuzz.sh [SECONDS]      (default 60)
#
# Exit status: 0 when no crash, missed impossible value, leak or hang was found in the time given;
# libFuzzer's non-zero status otherwise (the input is written to $WORK/crash-*).
set -euo pipefail

SECONDS_TO_RUN="${1:-60}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${FUZZ_WORK:-$ROOT/.build-trace/content-fuzz}"
mkdir -p "$WORK/corpus"

echo "building the content fuzz target..." >&2
source "$ROOT/tools/fuzz/c-modules.sh"
build_c_modules "$ROOT" "$WORK"
swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name Trace "${C_MODULE_ARGS[@]}" \
  "$ROOT"/Sources/DriftSimTrace/*.swift "$ROOT"/Sources/DriftSimSupport/ReportableError.swift \
  "$ROOT/tools/fuzz/TraceContentFuzz.swift" -o "$WORK/trace-content-fuzz"

cd "$WORK"
echo "fuzzing the trace reader's content checks for ${SECONDS_TO_RUN} s..." >&2
./trace-content-fuzz -max_total_time="$SECONDS_TO_RUN" -timeout=5 -rss_limit_mb=2048 -max_len=128 \
  -print_final_stats=1 corpus
