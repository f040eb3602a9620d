#!/bin/sh
# Like-for-like check of the policies of docs/policies.md (about 1 minute in a release build):
# with one slot per epoch and deterministic packet sizes the simulation is the epoch-level MDP of
# model.md, so the simulated fluid cost must equal the MDP's exact thetaFluid, and the simulated vi
# cost must equal the slot-level solver's θ, both within the 95 % CI; vi-delay's cost (β × delay +
# γ × power) must equal its packet-count solver's θ. Then `policy solve` and `policy solve-delay`
# must run and converge for the paper's pair. Usage: tools/ci/policies.sh [path/to/driftsim]
set -eu
DRIFTSIM=${1:-.build/release/driftsim}
WORK=$(mktemp -d /tmp/driftsim-ci-policies.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
export DRIFTSIM_CACHE_DIR="$WORK/cache"
"$DRIFTSIM" fluid policy-gap --set gamma=0.05 --set slotsPerEpoch=1 --set packetSizes=deterministic \
  --set epochs=20000 --set warmupEpochs=500 --replications 8 --truncation 200 --vi --quiet --json "$WORK/gap.json"
python3 - "$WORK/gap.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
lo, hi = d["simulated"]["ci95"]
assert lo <= d["thetaFluid"] <= hi, f"simulated fluid cost CI [{lo}, {hi}] misses thetaFluid {d['thetaFluid']}"
lo, hi = d["vi"]["simulated"]["slotCostCI95"]
assert lo <= d["vi"]["theta"] <= hi, f"simulated vi cost CI [{lo}, {hi}] misses θ {d['vi']['theta']}"
print(f"policies: fluid {d['simulated']['meanCostPerEpoch']:.5f} vs thetaFluid {d['thetaFluid']:.5f}; "
      f"vi {d['vi']['simulated']['slotCostPerEpoch']:.5f} vs θ {d['vi']['theta']:.5f}: OK")
PY
# vi-delay (packet-count MDP, the simulator's own N = 10 slots and exponential sizes): its simulated
# β L/λ + γ p̄ (= β × delay + γ × power) must equal its solver's θ within the 95 % CI, and beat
# csi-only's at the same γ.
"$DRIFTSIM" fluid policy-gap --set gamma=0.0214 --set arrivalRate=1 --set epochs=30000 --set warmupEpochs=1000 \
  --replications 8 --truncation 100 --vi-delay --compare csi-only --quiet --json "$WORK/gapdelay.json"
python3 - "$WORK/gapdelay.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = d["viDelay"]
lo, hi = v["simulated"]["delayCostCI95"]
assert lo <= v["theta"] <= hi, f"simulated vi-delay cost CI [{lo}, {hi}] misses θ {v['theta']}"
csi = d["compared"][0]
assert csi["delayCostCI95"][0] > hi, f"csi-only's cost {csi['delayCostCI95']} does not lie above vi-delay's [{lo}, {hi}]"
print(f"policies: vi-delay {v['simulated']['delayCostPerEpoch']:.5f} vs θ {v['theta']:.5f}; csi-only {csi['delayCostPerEpoch']:.5f}: OK")
PY
"$DRIFTSIM" policy solve-delay --set gamma=0.0214 --rows 0 --quiet --json "$WORK/solvedelay.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['converged'], d; print('policy solve-delay: θ =', d['theta'])" "$WORK/solvedelay.json"
"$DRIFTSIM" policy solve --set gamma=0.0248 --rows 0 --quiet --json "$WORK/solve.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['converged'], d; print('policy solve: θ =', d['theta'])" "$WORK/solve.json"
