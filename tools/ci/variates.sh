#!/usr/bin/env bash
# CI step: the exponential variates of the interference network (256-layer ziggurat on GSL's
# taus2) against the exact Exp(1): Kolmogorov–Smirnov and Anderson–Darling on 10^8 draws,
# moments, tail counts, and P(X > 20) through 10^8 conditional draws of the tail sampler.
# `driftsim validate exponential` exits 1 when any p-value is below alpha / tests (Bonferroni,
# alpha = 10^-3), so this step fails with probability ≤ 10^-3 for a correct sampler; the seed is
# fixed, so a given build always gives the same verdict. About 30 s and 0.8 GB in a release build.
#
#   tools/ci/variates.sh [BIN_DIR] [DRAWS]      (defaults: the release build, 10^8)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bin="${1:-$(swift build -c release --show-bin-path)}"
draws="${2:-100000000}"
[ -x "$bin/driftsim" ] || swift build -c release --product driftsim
json="${TMPDIR:-/tmp}/driftsim-ci-variates.json"
start=$(date +%s)
"$bin/driftsim" validate exponential --draws "$draws" --tail-draws "$draws" --seed 1 --quiet --json "$json"
python3 - "$json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["passed"] and not d["failures"], d["failures"]
m = {x["name"]: x for x in d["moments"]}
print(f'variates: KS D = {d["kolmogorovSmirnov"]["statistic"]:.3g} (p = {d["kolmogorovSmirnov"]["pValue"]:.3f}), '
      f'AD A² = {d["andersonDarling"]["statistic"]:.3f} (p = {d["andersonDarling"]["pValue"]:.3f}), '
      f'kurtosis {m["excessKurtosis"]["estimate"]:.4f}, tail > 20 | > r: {d["tails"][-1]["count"]} of {d["tails"][-1]["draws"]}')
PY
echo "variates: verdict PASS in $(( $(date +%s) - start )) s"
