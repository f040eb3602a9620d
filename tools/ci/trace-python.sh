#!/usr/bin/env bash
# Tests the Python trace reader (tools/driftsim_trace.py) and the Arrow export with pip-installed
# numpy, pyarrow, polars and pytest (plus pandas, for the optional DataFrame path). Works as root on
# a fresh Debian machine: installs python3-venv with apt-get if a virtual environment cannot be
# created, and installs the Python packages into a private venv (PEP 668 forbids pip installs into
# Debian's system Python).
#
# Environment:
#   DRIFTSIM_REPLAY  path of a driftsim-replay binary for the fresh-export and summary tests
#                    (default: the newest .build*/{release,debug}/driftsim-replay; those tests
#                    are skipped when none is built)
#   TRACE_VENV       where to create the venv (default: ${TMPDIR:-/tmp}/driftsim-trace-venv)
#   PYTHON           interpreter (default: python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="${PYTHON:-python3}"
VENV="${TRACE_VENV:-${TMPDIR:-/tmp}/driftsim-trace-venv}"

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "trace-python: cannot install $* (need root and apt-get)" >&2
    return 1
  fi
}

command -v "$PY" >/dev/null 2>&1 || apt_install python3 python3-venv python3-pip

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  rm -rf "$VENV"
  if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    # Debian splits ensurepip into python3-venv (python3.X-venv on some releases).
    version="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    apt_install python3-venv || true
    apt_install "python${version}-venv" >/dev/null 2>&1 || true
    "$PY" -m venv "$VENV"
  fi
fi

"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check numpy pyarrow polars pytest pandas

cd "$ROOT"
"$VENV/bin/python" tools/driftsim_trace.py traces/golden-network-v1.0.dstrace traces/golden-ctmc-v1.0.dstrace
exec "$VENV/bin/python" -m pytest -q tools/tests
