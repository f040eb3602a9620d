#!/usr/bin/env bash
# CI hardening step: the command-line fuzzer (every command and option of driftsim and
# driftsim-replay, grammar from --experimental-dump-help) and the trace content fuzzer, each for a
# bounded time. Any exit status other than 0/1/2, "Fatal error", timeout (outside benchmarks),
# Foundation error text, change in /dev or in the repository fails the step.
#
#   tools/ci/cli-fuzz.sh [CLI_SECONDS] [CONTENT_SECONDS]     (defaults 120 and 60)
#
# Environment: DRIFTSIM_BIN_DIR (default .build/debug; built here when missing), CLI_FUZZ_SEED
# (default: the time), CLI_FUZZ_TIMEOUT (seconds per execution, default 10).
# Longer runs on demand: tools/ci/cli-fuzz.sh 3600 600
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLI_SECONDS="${1:-120}"
CONTENT_SECONDS="${2:-60}"
BIN_DIR="${DRIFTSIM_BIN_DIR:-$ROOT/.build/debug}"
cd "$ROOT"

if [ ! -x "$BIN_DIR/driftsim" ] || [ ! -x "$BIN_DIR/driftsim-replay" ]; then
  swift build --product driftsim
  swift build --product driftsim-replay
fi

status=0
REPORT="${TMPDIR:-/tmp}/driftsim-cli-fuzz-report.json"
python3 tools/fuzz/cli_fuzz.py --seconds "$CLI_SECONDS" --bin-dir "$BIN_DIR" \
  --timeout "${CLI_FUZZ_TIMEOUT:-10}" ${CLI_FUZZ_SEED:+--seed "$CLI_FUZZ_SEED"} --report "$REPORT" || status=1
echo "cli-fuzz: report in $REPORT"

if [ "$CONTENT_SECONDS" != 0 ]; then
  FUZZ_WORK="${TMPDIR:-/tmp}/driftsim-content-fuzz" tools/fuzz/run-trace-content-fuzz.sh "$CONTENT_SECONDS" || status=1
fi
exit "$status"
