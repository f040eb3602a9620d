#!/usr/bin/env bash
# Builds Examples/CustomPolicy — a separate SwiftPM package that depends on DriftSim by path and
# defines its own power policy — and runs it briefly: DriftSim must be usable as a library.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root/Examples/CustomPolicy"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
swift build -c release > "$log" 2>&1 || { tail -40 "$log"; echo "example.sh: the example package does not build" >&2; exit 1; }
tail -1 "$log"
out="$(.build/release/CustomPolicy 2000)"
echo "$out"
grep -q "^sqrt-backlog .*mean delay" <<<"$out"
grep -q "^csi-only .*mean delay" <<<"$out"
