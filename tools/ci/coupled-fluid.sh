#!/usr/bin/env bash
# Coupled fluid (docs/coupled-fluid.md): at K = 5, L = 0.1 the coupled fluid tracks the simulated
# drain far better than the decoupled one, the result repeats exactly, and the decoupling study's
# coupling gap is 0 at L = 0 and grows with L. Release build; about 30 s on two cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bin="${1:-$(swift build -c release --show-bin-path)}"
out="$(mktemp -d /tmp/driftsim-ci-coupled.XXXXXX)"
trap 'rm -rf "$out"' EXIT
for i in 1 2; do
  "$bin/driftsim" fluid drain --model both --set crossGain=0.1 --initial-queues 100 --replications 4 \
    --fading-samples 128 --jobs 2 --quiet --json "$out/drain-$i.json" > /dev/null
done
"$bin/driftsim" fluid decoupling --truncation 8 --check-truncation 10 --cross-gains 0.01,0.1,0.3 --queues 3:3,5:0 \
  --direct-nodes 3 --cross-nodes 2 --action-step 0.5 --tolerance 1e-9 --jobs 2 --quiet --json "$out/decoupling.json" > /dev/null
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
a, b = (json.load(open(f"{out}/drain-{i}.json")) for i in (1, 2))
ca, cb = a["cases"][0], b["cases"][0]
assert ca["coupled"]["fluidQueuePackets"] == cb["coupled"]["fluidQueuePackets"], "coupled fluid not deterministic"
assert ca["meanQueuePackets"] == cb["meanQueuePackets"], "simulation not deterministic"
dec, cop = ca["supDistanceScaled"], ca["coupled"]["supDistanceScaled"]
assert dec > 0.4, f"decoupled distance {dec}: expected ≈ 0.63 at K = 5, L = 0.1"
assert cop < 0.08 and cop < dec / 5, f"coupled distance {cop} vs decoupled {dec}"
d = json.load(open(f"{out}/decoupling.json"))
assert all(p["couplingGap"] == 0 for p in d["points"] if p["crossGain"] == 0)
diag = [p["couplingGap"] for p in d["points"] if (p["q1"], p["q2"]) == (3, 3)]
assert diag == sorted(diag) and diag[1] > 0, diag
fit = next(f for f in d["fits"] if (f["q1"], f["q2"]) == (3, 3))
assert 0.3 < fit["order"] < 1.3, fit
assert all(c["relativeDifference"] < 1e-2 for c in d["truncationCheck"]), d["truncationCheck"]
print(f'coupled fluid: sup/Q(0) decoupled {dec:.3f}, coupled {cop:.3f} (K = 5, L = 0.1, Q(0) = 100); '
      f'coupling-gap order in L {fit["order"]:.2f}')
PY
