#!/usr/bin/env bash
# CI smoke test of the performance tooling (issue 14): builds the C baselines of tools/bench and
# runs `driftsim bench interference --c-baselines` briefly from the release build in BIN (default
# .build/release), checking that every trace-off case reports its C loop and a positive ratio.
# Figures on a shared CI machine are not asserted; docs/performance.md has the measured ones.
#
# Usage: tools/ci/perf.sh [BIN]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${1:-$root/.build/release}"
cc -O2 -o "$root/tools/bench/interference_c" "$root/tools/bench/interference.c" $(pkg-config --cflags --libs gsl) -lm
cc -O2 -o "$root/tools/bench/interference_fast_c" "$root/tools/bench/interference_fast.c" $(pkg-config --cflags --libs gsl) -lm
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$bin/driftsim" bench interference --c-baselines "$root/tools/bench" --epochs 1000 --repetitions 1 --trace-levels '' --quiet --json "$out"
python3 - "$out" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
cases = report["cases"]
assert len(cases) == 5, f"expected interference-free + 4 policies, got {len(cases)}"
for c in cases:
    assert c["epochsPerSecond"] > 0, c
    assert c["baselines"], f"{c['name']} {c['policy']}: no C baseline"
    for b in c["baselines"]:
        assert b["epochsPerSecond"] > 0 and b["ratio"] > 0 and b["pairedRatio"] > 0, b
    if c["policy"] in ("fluid", "qwto"):
        # like for like: the C loop computing the policy's own weights, after the csi-weight loop
        assert len(c["baselines"]) == 2 and c["baselines"][1]["program"].endswith(" " + c["policy"]), c["baselines"]
    print(f'{c["name"]:18} {c["policy"]:8} {c["epochsPerSecond"]:10.0f} epochs/s  ' +
          "  ".join(f'{b["program"].split()[0]} ratio {b["ratio"]:.3f}' for b in c["baselines"]))
PY
