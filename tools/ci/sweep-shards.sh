#!/usr/bin/env bash
# Checks that `driftsim sweep merge` is byte-identical to `driftsim sweep run` of the same sweep
# file for 1, 3 and 7 shards run in shuffled order, and after a task killed mid-run and retried.
# Usage: tools/ci/sweep-shards.sh [path/to/driftsim]   (default: .build/release/driftsim)
set -euo pipefail
DRIFTSIM=${1:-.build/release/driftsim}
DRIFTSIM=$(cd "$(dirname "$DRIFTSIM")" && pwd)/$(basename "$DRIFTSIM")
WORK=$(mktemp -d /tmp/driftsim-shards.XXXXXX)
PIDS=()
cleanup() { set +e; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
cat > "$WORK/s.yaml" <<'YAML'
set: {epochs: 2000, warmupEpochs: 200, pairs: 2, targetSNRdB: 6}
axes: {arrivalRate: [0.5, 1], beta: [1, 2]}
policies: [fluid, tdma]
replications: 3
seed: 3
YAML
"$DRIFTSIM" sweep run "$WORK/s.yaml" -o "$WORK/local" --quiet > /dev/null
for shards in 1 3 7; do
  dir="$WORK/shards$shards"
  "$DRIFTSIM" sweep plan "$WORK/s.yaml" -o "$dir" --quiet > /dev/null
  for stage in calibrate run; do
    n=$(python3 -c "import json,sys; p=json.load(open('$dir/plan.json')); print(len(p['calibrations'] if '$stage'=='calibrate' else p['tasks']))")
    for ((s = 0; s < shards; s++)); do
      ( for i in $(seq 0 $((n - 1)) | awk -v s=$s -v S=$shards '$1 % S == s' | shuf); do
          "$DRIFTSIM" sweep task "$dir" --stage $stage --index "$i" --quiet
        done ) &
      PIDS+=($!)
    done
    wait
    PIDS=()
  done
  "$DRIFTSIM" sweep merge "$dir" --quiet > /dev/null
  for f in sweep.csv sweep.json sweep.svg; do cmp "$WORK/local/$f" "$dir/$f"; done
  echo "shards=$shards: sweep.csv, sweep.json, sweep.svg identical to sweep run"
done
# A task killed mid-run (SIGKILL) leaves no result; while it runs a second process on the same task
# is refused (flock); the retry completes it and the merge still equals a local run.
cat > "$WORK/k.yaml" <<'YAML'
# Long enough (≈ 4 s for task 0 on the 2-core CI machine) that the victim is still running when the
# second process starts: wave 3 made this task 4× faster and a 200 000-epoch task ended within 1 s.
set: {epochs: 1000000, warmupEpochs: 2000, pairs: 2, targetSNRdB: 6, pilotEpochs: 2000}
axes: {arrivalRate: [0.5, 1]}
policies: [fluid, tdma]
replications: 2
replicationsPerTask: 2
seed: 9
YAML
"$DRIFTSIM" sweep run "$WORK/k.yaml" -o "$WORK/klocal" --quiet > /dev/null
dir="$WORK/killed"
"$DRIFTSIM" sweep plan "$WORK/k.yaml" -o "$dir" --quiet > /dev/null
"$DRIFTSIM" sweep task "$dir" --stage calibrate --index 0 --count 4 --quiet
"$DRIFTSIM" sweep task "$dir" --index 0 --quiet & victim=$!
PIDS+=($victim)
# Wait (up to 20 s) until the victim holds the task's lock, then give it a moment inside the run.
for _ in $(seq 1 200); do [ -e "$dir/tasks/0.lock" ] && break; sleep 0.1; done
sleep 0.5
kill -0 "$victim" 2> /dev/null || { echo "task 0 finished before the second process could start: raise epochs in k.yaml"; exit 1; }
if "$DRIFTSIM" sweep task "$dir" --index 0 --quiet 2> "$WORK/busy.err"; then echo "a second process ran the same task"; exit 1; fi
echo "second process on task 0: $(cat "$WORK/busy.err" | head -1)"
kill -9 "$victim"
wait "$victim" 2> /dev/null || true
PIDS=()
test ! -e "$dir/tasks/0.json" || { echo "the killed task left a result"; exit 1; }
echo "after kill -9: $("$DRIFTSIM" sweep status "$dir" | grep '^run:')"
if "$DRIFTSIM" sweep merge "$dir" --quiet > /dev/null 2> "$WORK/merge.err"; then echo "merge of an incomplete sweep succeeded"; exit 1; fi
echo "merge before the retry: $(cat "$WORK/merge.err")"
for i in 3 0 2 1; do "$DRIFTSIM" sweep task "$dir" --index "$i" --quiet; done
"$DRIFTSIM" sweep merge "$dir" --quiet > /dev/null
for f in sweep.csv sweep.json sweep.svg; do cmp "$WORK/klocal/$f" "$dir/$f"; done
echo "killed and retried: sweep.csv, sweep.json, sweep.svg identical to sweep run"
