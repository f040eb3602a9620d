#!/usr/bin/env bash
# Installs the Python trace package (python/, `driftsim-trace`) with its pandas and polars extras
# and the test dependencies (pytest, pyarrow) into a private venv, then runs the package's tests
# against the golden traces and driftsim-replay. Works as root on a fresh Debian machine: installs
# python3-venv with apt-get if a virtual environment cannot be created (PEP 668 forbids pip
# installs into Debian's system Python).
#
# The run fails unless every test function in python/tests ran and passed: skips count as
# failures (DRIFTSIM_TRACE_REQUIRE_ALL=1), "no tests collected" (pytest status 5) is an error, and
# the JUnit report is checked against the `def test_` functions in the test files.
#
# Environment:
#   DRIFTSIM_REPLAY  path of a driftsim-replay binary for the fresh-export and summary tests
#                    (default: the newest .build*/{release,debug}/driftsim-replay; required)
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

if [ -z "${DRIFTSIM_REPLAY:-}" ]; then
  DRIFTSIM_REPLAY="$(ls -t "$ROOT"/.build*/{release,debug}/driftsim-replay 2>/dev/null | head -1 || true)"
fi
if [ -z "$DRIFTSIM_REPLAY" ] || [ ! -x "$DRIFTSIM_REPLAY" ]; then
  echo "trace-python: no driftsim-replay binary (build it, or set DRIFTSIM_REPLAY)" >&2
  exit 1
fi
export DRIFTSIM_REPLAY

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

pip=("$VENV/bin/python" -m pip --quiet --disable-pip-version-check)
"${pip[@]}" install --upgrade pip
"${pip[@]}" install "$ROOT/python[pandas,polars,test]"
# A regular (non-editable) install, re-installed every run so the tests see this checkout's code.
"${pip[@]}" install --force-reinstall --no-deps "$ROOT/python"

# Run from outside the repository so that only the installed package can be imported.
work="$(mktemp -d "${TMPDIR:-/tmp}/driftsim-trace-ci.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$VENV/bin/driftsim-trace" "$ROOT/traces/golden-network-v1.0.dstrace" "$ROOT/traces/golden-ctmc-v1.0.dstrace"

status=0
DRIFTSIM_TRACE_REQUIRE_ALL=1 "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
  --rootdir "$ROOT/python" -c "$ROOT/python/pyproject.toml" --junitxml "$work/junit.xml" \
  "$ROOT/python/tests" || status=$?
if [ "$status" -eq 5 ]; then
  echo "trace-python: pytest collected no tests" >&2
  exit 1
elif [ "$status" -ne 0 ]; then
  exit "$status"
fi

# Every test function defined in the files must have run and passed (none skipped or missing).
"$VENV/bin/python" - "$work/junit.xml" "$ROOT/python/tests" <<'PY'
import re, sys, xml.etree.ElementTree as ET
from pathlib import Path
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
ran, bad = set(), []
for suite in suites:
    for case in suite.iter("testcase"):
        name = case.get("name").split("[")[0]
        ran.add(name)
        if any(child.tag in ("failure", "error", "skipped") for child in case):
            bad.append(name)
defined = {m for f in Path(sys.argv[2]).glob("test_*.py")
           for m in re.findall(r"^def (test_\w+)\(", f.read_text(), re.M)}
missing = sorted(defined - ran)
if not defined or missing or bad:
    sys.exit(f"trace-python: tests defined {len(defined)}, missing {missing}, not passed {bad}")
print(f"trace-python: all {len(ran)} test functions of python/tests ran and passed")
PY
