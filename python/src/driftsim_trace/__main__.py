"""``python -m driftsim_trace TRACE...`` (or ``driftsim-trace TRACE...``): counts per record kind and the
integrity verdict of each trace; exit status 1 if any trace cannot be read or is not complete."""

from __future__ import annotations

import sys

from .reader import TraceFormatError, read_trace


def main(argv: list[str] | None = None) -> int:
    """Prints one line per trace; returns the exit status (0 all complete, 1 otherwise, 2 usage)."""
    paths = sys.argv[1:] if argv is None else argv
    if not paths or paths[0] in ("-h", "--help"):
        print("usage: python -m driftsim_trace TRACE...\n"
              "Reads each DriftSim trace, checks every CRC32C, prints its record counts and integrity.",
              file=sys.stderr if not paths else sys.stdout)
        return 2 if not paths else 0
    status = 0
    for path in paths:
        try:
            t = read_trace(path)
        except (OSError, TraceFormatError) as e:
            print(f"driftsim_trace: error: {e}", file=sys.stderr)
            status = 1
            continue
        counts = ", ".join(f"{k}={len(v)}" for k, v in t.records.items() if len(v))
        print(f"{path}: format {t.version[0]}.{t.version[1]}, {counts}; {t.integrity['status']}")
        if t.integrity["status"] != "complete":
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
