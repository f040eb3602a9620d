#!/usr/bin/env bash
# DriftSim set-up: installs the system libraries DriftSim needs on a Debian/Ubuntu machine
# (GSL and pkg-config) and builds the release binaries. Safe to run again: it installs only what
# is missing and rebuilds incrementally.
#
# Usage: tools/setup.sh [--no-build]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

need=()
dpkg -s libgsl-dev >/dev/null 2>&1 || need+=(libgsl-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)

if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup.sh: this machine has no apt-get. Install GSL (>= 2.6, with headers) and pkg-config" >&2
    echo "          with your system's package manager, then run this script again." >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "setup.sh: missing ${need[*]}, and you are not root and have no sudo." >&2
    echo "          Ask an administrator to run: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "setup.sh: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "setup.sh: GSL $(pkg-config --modversion gsl) is installed" >&2

if ! command -v swift >/dev/null 2>&1; then
  echo "setup.sh: no 'swift' on PATH. Install Swift 6.1 or newer (swift.org) and run this again." >&2
  exit 1
fi

if [ "$build" -eq 1 ]; then
  echo "setup.sh: building release binaries (first build takes a few minutes)" >&2
  (cd "$here" && swift build -c release --product driftsim && swift build -c release --product driftsim-replay)
  echo "setup.sh: done. Binaries: $(cd "$here" && swift build -c release --show-bin-path)/{driftsim,driftsim-replay}" >&2
fi
