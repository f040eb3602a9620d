#!/usr/bin/env bash
# Builds the plain C loops of tools/bench (interference.c: GSL taus2 + gsl_ran_exponential +
# gsl_ran_poisson; interference_fast.c: xoshiro256+ and −log U, interference-free and paper-preset
# modes, the latter with csi, fluid or qwto weights) and runs `driftsim bench interference --c-baselines` from a release build: every trace-off
# repetition of DriftSim is followed by the matching C loop, so both see the same machine load, and
# the report gives the ratio of the medians.
#
# Usage: tools/bench/interference.sh [EPOCHS] [REPETITIONS] [JSON] [CLOCK]
#   defaults: 100000 epochs, 5 repetitions; JSON (optional, '' for none) receives the
#   machine-readable report; CLOCK is wall (default) or cpu (process CPU time, for a busy machine).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
epochs="${1:-100000}"; reps="${2:-5}"; json="${3:-}"; clock="${4:-wall}"
cc -O2 -o "$root/tools/bench/interference_c" "$root/tools/bench/interference.c" $(pkg-config --cflags --libs gsl) -lm
cc -O2 -o "$root/tools/bench/interference_fast_c" "$root/tools/bench/interference_fast.c" $(pkg-config --cflags --libs gsl) -lm
(cd "$root" && swift build -c release --product driftsim >/dev/null)
bin="$(cd "$root" && swift build -c release --show-bin-path)/driftsim"
args=(bench interference --c-baselines "$root/tools/bench" --epochs "$epochs" --repetitions "$reps" --trace-levels packets --clock "$clock")
if [ -n "$json" ]; then args+=(--json "$json"); fi
"$bin" "${args[@]}"
echo "(medians of $reps runs each; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
