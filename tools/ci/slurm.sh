#!/usr/bin/env bash
# A real one-node Slurm (Debian slurm-wlm + munge) on this machine: plans a small 2-axis sweep with
# calibration, submits it with `driftsim sweep slurm --submit` (two job arrays, the run array after
# the calibrate array), waits, merges, and cmp's the merged files with a local `driftsim sweep run`.
# Every daemon it starts is stopped by pid on every path. Needs root (CI, containers).
# Usage: tools/ci/slurm.sh [path/to/driftsim]   (default: .build/release/driftsim)
set -euo pipefail
DRIFTSIM=${1:-.build/release/driftsim}
DRIFTSIM=$(cd "$(dirname "$DRIFTSIM")" && pwd -P)/$(basename "$DRIFTSIM")
START=$(date +%s)
deadline() { (( $(date +%s) - START < 420 )) || { echo "slurm.sh: over the 7-minute bound" >&2; exit 1; }; }

if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge > /dev/null
fi

W=$(mktemp -d /tmp/driftsim-slurm.XXXXXX)
chmod 700 "$W"
PIDS=()
JOBS=""
cleanup() {
  status=$?
  set +e +o pipefail
  trap - EXIT INT TERM
  if [[ -n "$JOBS" ]]; then SLURM_CONF="$W/slurm.conf" scancel $JOBS 2> /dev/null || true; fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2> /dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$p" 2> /dev/null || true
  done
  if (( status != 0 )); then
    for log in slurmctld.log slurmd.log munged.log; do [[ -f "$W/$log" ]] && { echo "--- $log"; tail -20 "$W/$log"; }; done
    ls "$W"/sweep/slurm/logs/* 2> /dev/null | head -3 | xargs -r tail -5
  fi
  rm -rf "$W"
  exit $status
}
trap cleanup EXIT INT TERM

# munge: a fresh key and a private socket.
dd if=/dev/urandom of="$W/munge.key" bs=1024 count=1 status=none
chmod 400 "$W/munge.key"
munged -F --force --key-file="$W/munge.key" --socket="$W/munge.sock" --pid-file="$W/munged.pid" \
  --log-file="$W/munged.log" --seed-file="$W/munge.seed" > /dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [[ -S "$W/munge.sock" ]] && break; sleep 0.1; done
[[ -S "$W/munge.sock" ]] || { echo "munged did not start" >&2; exit 1; }

HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
mkdir -p "$W/state" "$W/spool"
# MaxArraySize=8 makes the run stage (24 tasks) chunk: 4 tasks per element, 6 elements.
cat > "$W/slurm.conf" << CONF
ClusterName=driftsimci
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$W/munge.sock
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MaxArraySize=8
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=ci Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$W/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" > /dev/null 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" > /dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 120); do
  state=$(sinfo -h -o %T 2> /dev/null || true)
  [[ "$state" == "idle" ]] && break
  sleep 0.5
done
[[ "$state" == "idle" ]] || { echo "the node did not become idle (state '$state')" >&2; exit 1; }
echo "slurm up: node $HOST ($CPUS CPUs, ${MEM_MB} MB) idle after $(( $(date +%s) - START )) s; $(scontrol show config | grep -E '^MaxArraySize')"

cat > "$W/s.yaml" << 'YAML'
set: {epochs: 1000, warmupEpochs: 100, pairs: 2, targetSNRdB: 6}
axes: {arrivalRate: [0.5, 1], beta: [1, 2]}
policies: [fluid, tdma]
replications: 3
seed: 5
YAML
"$DRIFTSIM" sweep plan "$W/s.yaml" -o "$W/sweep" --quiet
SUBMIT=$(date +%s)
"$DRIFTSIM" sweep slurm "$W/sweep" --partition ci --time 10:00 --max-parallel 2 --submit --json "$W/submit.json"
JOBS=$(python3 -c "import json; print(' '.join(json.load(open('$W/submit.json'))['jobIDs']))")
python3 -c "
import json
for a in json.load(open('$W/submit.json'))['arrays']:
    print(f\"  {a['stage']}: {a['tasks']} tasks, --array={a['arraySpec']} ({a['elements']} elements x {a['chunk']})\")"
RUNJOB=${JOBS##* }
echo "  run job $RUNJOB: $(scontrol show job "$RUNJOB" | grep -o 'Dependency=[^ ]*' | head -1)"
while [[ -n "$(squeue -h -j "${JOBS// /,}" 2> /dev/null)" ]]; do deadline; sleep 1; done
echo "both arrays finished in $(( $(date +%s) - SUBMIT )) s"
"$DRIFTSIM" sweep status "$W/sweep"
"$DRIFTSIM" sweep merge "$W/sweep" --quiet > /dev/null
"$DRIFTSIM" sweep run "$W/s.yaml" -o "$W/local" --quiet > /dev/null
for f in sweep.csv sweep.json sweep.svg; do cmp "$W/local/$f" "$W/sweep/$f"; done
echo "slurm.sh: merged Slurm results are byte-identical to a local sweep run (sweep.csv, sweep.json, sweep.svg); total $(( $(date +%s) - START )) s"
