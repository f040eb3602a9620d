#!/usr/bin/env bash
# CI checks for the mean-field and value-iteration commands (issues 12 and 13): every hostile
# input from the issue exits 1 or 2 within a time limit and never traps; the help of every split
# command renders. Needs a built `driftsim` (debug is fine). Takes well under a minute.
set -euo pipefail
driftsim="${DRIFTSIM:-.build/debug/driftsim}"
[[ -x "$driftsim" ]] || { echo "meanfield-valueiteration.sh: $driftsim not built" >&2; exit 1; }
err="$(mktemp)"
trap 'rm -f "$err"' EXIT
failures=0 passed=0
check() {
  local expected="$1"; shift
  local status=0
  timeout 60 "$driftsim" "$@" --quiet >/dev/null 2>"$err" || status=$?
  if [[ "$status" != "$expected" ]] || grep -q "Fatal error" "$err"; then
    echo "FAIL (exit $status, expected $expected): driftsim $*: $(head -1 "$err")"
    failures=$((failures + 1))
  else
    passed=$((passed + 1))
  fi
}
check 1 fluid value-iteration --queues 1e20
check 1 fluid value-iteration --range 1e20,1e21
check 1 fluid value-iteration --truncation 100 --check-truncation 0 --queues 150
check 1 fluid value-iteration --queues 1,,2
check 2 fluid value-iteration --truncation 1000000000
check 2 fluid two-pair --action-step 1e-300
check 1 fluid-value --set gamma=1e300
check 1 fluid-value --set beta=1e-300
check 1 meanfield equilibrium --initial 0.5
check 1 meanfield equilibrium --initial 2,3
check 1 meanfield simulate --initial 0.5,0.6
check 1 meanfield simulate --initial 0,0
check 1 meanfield scaling --batches 100000000
check 1 meanfield simulate --population 1000000000000
check 1 meanfield simulate --horizon 1e300
check 1 meanfield ode --horizon 1e300
check 1 meanfield trajectory --horizon 1e300
check 1 meanfield scaling --duration 1e300
check 1 meanfield equilibrium --model supermarket --set d=1e20
for command in simulate ode equilibrium refined scaling trajectory bench; do check 0 meanfield "$command" --help; done
for command in value-iteration two-pair; do check 0 fluid "$command" --help; done
echo "meanfield-valueiteration: $passed passed, $failures failed"
(( failures == 0 ))
