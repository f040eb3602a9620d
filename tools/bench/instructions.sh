#!/usr/bin/env bash
# Instructions per epoch of `driftsim run` by callgrind (issue 14): runs the case at two run lengths
# and divides the difference in instruction counts by the extra epochs, so start-up (scenario
# parsing, value functions, allocation) cancels. Instruction counts do not depend on machine load,
# unlike rates on a shared machine.
#
# Usage: tools/bench/instructions.sh BINARY CASE [EPOCHS1 EPOCHS2] [--set key=value ...]
#   BINARY: a release driftsim; it is copied and stripped of DWARF debug info first (valgrind 3.19
#           cannot read DWARF 5).
#   CASE:   interference-free | fluid | csi-only | qwto | tdma (paper preset at γ = 0.05, as
#           `driftsim bench interference`) | k64 (K = 64, csi-only, γ = 1)
#   EPOCHS1, EPOCHS2: run lengths (defaults 2000 6000 interference-free, 1000 3000 otherwise).
# Prints: CASE instructions/epoch, and both totals.
set -euo pipefail
bin="$1"; case_="$2"; shift 2
e1=""; e2=""
if [ $# -ge 2 ] && [[ "$1" =~ ^[0-9]+$ ]]; then e1="$1"; e2="$2"; shift 2; fi
case "$case_" in
  interference-free) sets=(--set crossGain=0 --set policy=csi-only --set gamma=1); : "${e1:=2000}" "${e2:=6000}" ;;
  fluid|csi-only|qwto|tdma) sets=(--set policy="$case_" --set gamma=0.05); : "${e1:=1000}" "${e2:=3000}" ;;
  k64) sets=(--set pairs=64 --set policy=csi-only --set gamma=1); : "${e1:=50}" "${e2:=150}" ;;
  *) echo "instructions.sh: unknown case '$case_'" >&2; exit 2 ;;
esac
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
strip -g -o "$work/driftsim" "$bin"
shift_args=("$@")
c1=$(valgrind --tool=callgrind --callgrind-out-file="$work/cg1.out" "$work/driftsim" run "${sets[@]}" "${shift_args[@]}" \
  --set epochs="$e1" --set warmupEpochs=$(( e1 / 10 )) --set replications=1 --quiet >/dev/null 2>"$work/vg1.log" \
  && grep -m1 '^summary:' "$work/cg1.out" | awk '{print $2}')
c2=$(valgrind --tool=callgrind --callgrind-out-file="$work/cg2.out" "$work/driftsim" run "${sets[@]}" "${shift_args[@]}" \
  --set epochs="$e2" --set warmupEpochs=$(( e2 / 10 )) --set replications=1 --quiet >/dev/null 2>"$work/vg2.log" \
  && grep -m1 '^summary:' "$work/cg2.out" | awk '{print $2}')
echo "$case_ $(( (c2 - c1) / (e2 - e1) )) instructions/epoch ($c1 at $e1 epochs, $c2 at $e2)"
if [ -n "${KEEP_CALLGRIND:-}" ]; then cp "$work/cg2.out" "$KEEP_CALLGRIND"; fi
