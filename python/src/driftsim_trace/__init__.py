"""Read DriftSim binary traces (format 1.x) with numpy; optional pandas and polars DataFrames.

    >>> import driftsim_trace
    >>> trace = driftsim_trace.read_trace("traces/golden-network-v1.0.dstrace")
    >>> trace.records["packetDeparture"]["delay"].mean()      # seconds (numpy structured array)
    >>> trace.integrity["status"]                              # 'complete', 'truncated' or 'corrupt'
    >>> trace.to_pandas("slot")                                # needs driftsim-trace[pandas]
    >>> trace.to_polars()["epoch"]                             # needs driftsim-trace[polars]

The module-level ``to_pandas`` / ``to_polars`` accept a ``Trace`` or a path.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from .reader import (
    MAJOR_VERSION,
    Trace,
    TraceFormatError,
    crc32c,
    read_trace,
    record_dtype,
)

try:
    __version__ = _version("driftsim-trace")
except PackageNotFoundError:  # imported from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "MAJOR_VERSION",
    "Trace",
    "TraceFormatError",
    "crc32c",
    "read_trace",
    "record_dtype",
    "to_pandas",
    "to_polars",
]


def _as_trace(trace_or_path) -> Trace:
    return trace_or_path if isinstance(trace_or_path, Trace) else read_trace(str(trace_or_path))


def to_pandas(trace_or_path, kind: str | None = None):
    """``Trace.to_pandas`` of a ``Trace`` or of the trace at a path (read with the default checks)."""
    return _as_trace(trace_or_path).to_pandas(kind)


def to_polars(trace_or_path, kind: str | None = None):
    """``Trace.to_polars`` of a ``Trace`` or of the trace at a path (read with the default checks)."""
    return _as_trace(trace_or_path).to_polars(kind)
