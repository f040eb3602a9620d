#!/usr/bin/env bash
# Compares `driftsim bench interference` (release) on the interference-free case (K = 5, crossGain 0,
# csi-only, λ = 1, γ = 1) with the plain C time-stepped loop of the same model in interference.c,
# alternating the two so both see the same machine load. Prints each pair of figures and the
# median ratio.
#
# Usage: tools/bench/interference.sh [EPOCHS] [ROUNDS]    (defaults: 100000 epochs, 5 rounds)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
epochs="${1:-100000}"; rounds="${2:-5}"
cc -O2 -o "$root/tools/bench/interference_c" "$root/tools/bench/interference.c" $(pkg-config --cflags --libs gsl) -lm
(cd "$root" && swift build -c release --product driftsim >/dev/null)
bin="$(cd "$root" && swift build -c release --show-bin-path)/driftsim"
ratios=()
for i in $(seq "$rounds"); do
  c=$("$root/tools/bench/interference_c" 5 "$epochs" 1 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["epochsPerSecond"])')
  s=$("$bin" run --set crossGain=0 --set policy=csi-only --set gamma=1 --set epochs="$epochs" --set warmupEpochs=1000 --quiet --json - | python3 -c 'import json,sys; print(json.load(sys.stdin)["epochsPerSecond"])')
  r=$(python3 -c "print($s / $c)")
  ratios+=("$r")
  printf 'round %d: swift %.0f epochs/s, C %.0f epochs/s, ratio %.3f\n' "$i" "$s" "$c" "$r"
done
python3 -c "import statistics,sys; print('median ratio swift/C: %.3f' % statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}"
