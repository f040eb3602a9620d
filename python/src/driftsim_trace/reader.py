"""The trace reader: DriftSim binary traces (format 1.x) into numpy structured arrays.

numpy only; pandas and polars are imported by ``Trace.to_pandas`` / ``Trace.to_polars`` when they are
called. The format is specified in ``traces/FORMAT.md`` of the DriftSim repository; the record
layouts are read from the trace's own header schema, so fields added by newer minor versions appear
automatically.

Every block's CRC32C is verified (``verify=False`` skips the payload CRCs). A corrupt block raises
``TraceFormatError`` naming its byte offset unless ``salvage=True``; a file without footer is read
up to its last whole block and reported as truncated (``strict=True`` raises instead).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"DRIFTTRC"
MAJOR_VERSION = 1
BLOCK_MAGIC = 0x4B425444  # "DTBK"
FOOTER_MAGIC = 0x54465444  # "DTFT"
TRAILER_MAGIC = 0x444E5444  # "DTND"
BLOCK_HEADER = struct.Struct("<IB3xIIddII")  # magic, kind, count, payload length, first, last, payload CRC, header CRC
TRAILER = struct.Struct("<QII")
FLAG_INTERRUPTED = 1
MAX_BLOCK_PAYLOAD = 64 << 20


class TraceFormatError(ValueError):
    """A damaged, truncated, foreign or too new trace. ``offset`` is the byte offset, if known."""

    def __init__(self, message: str, offset: int | None = None):
        self.offset = offset
        super().__init__(f"{message} at byte offset {offset}" if offset is not None else message)


# --- CRC-32C (Castagnoli, reflected 0x82F63B78) ---------------------------------------------------

def _make_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table[i] = c
    return table


_TABLE = _make_table()
_TABLE_LIST = [int(x) for x in _TABLE]


def crc32c(data: bytes | memoryview, crc: int = 0) -> int:
    """CRC-32C of ``data`` (continuing from ``crc``); crc32c(b"123456789") == 0xE3069283."""
    c = crc ^ 0xFFFFFFFF
    table = _TABLE_LIST
    for b in bytes(data):
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _crc32c_many(payloads: list) -> list[int]:
    """CRC-32C of many byte strings; equal-length groups are processed column-wise with numpy."""
    result = [0] * len(payloads)
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(payloads):
        groups.setdefault(len(p), []).append(i)
    for length, members in groups.items():
        if len(members) < 32 or length == 0:
            for i in members:
                result[i] = crc32c(payloads[i])
            continue
        matrix = np.stack([np.frombuffer(payloads[i], dtype=np.uint8) for i in members])
        c = np.full(len(members), 0xFFFFFFFF, dtype=np.uint32)
        for j in range(length):
            c = _TABLE[(c ^ matrix[:, j]) & 0xFF] ^ (c >> np.uint32(8))
        c ^= np.uint32(0xFFFFFFFF)
        for i, value in zip(members, c.tolist()):
            result[i] = value
    return result


# --- Reading --------------------------------------------------------------------------------------

@dataclass
class Trace:
    """A trace loaded in memory.

    ``records`` maps each record kind's name (``packetArrival``, ``packetDeparture``, ``epoch``,
    ``slot``, ``ctmcJump``, ``ctmcSnapshot``) to a numpy structured array laid out as the header
    schema says (times in seconds); kinds the trace declares but did not write are empty arrays.
    ``integrity`` is ``{"status": "complete" | "truncated" | "corrupt", "interrupted": bool,
    "problems": [{"offset", "message"}]}``; ``footer`` is the parsed footer or None.
    """

    path: str
    version: tuple[int, int]
    header: dict
    records: dict[str, np.ndarray]
    integrity: dict = field(default_factory=dict)
    footer: dict | None = None

    @property
    def scenario(self) -> str:
        return self.header["scenario"]

    @property
    def metadata(self) -> dict[str, str]:
        return self.header["metadata"]

    def columns(self, kind: str) -> dict[str, np.ndarray]:
        """The records of ``kind`` as flat columns: one contiguous, native-byte-order 1-D array per
        field, with snapshot counts split into ``count_0``, ``count_1``, ... (the column names and
        types of ``driftsim-replay export``)."""
        return _flat_columns(self.records[kind])

    def to_pandas(self, kind: str | None = None):
        """pandas DataFrames of the records (pandas must be installed: ``pip install driftsim-trace[pandas]``).

        With ``kind`` (e.g. ``"packetDeparture"``) one DataFrame, else a dict of one DataFrame per record
        kind. Columns as in :meth:`columns`; times in seconds.
        """
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("Trace.to_pandas needs pandas: pip install 'driftsim-trace[pandas]'") from e
        return self._frames(kind, pd.DataFrame)

    def to_polars(self, kind: str | None = None):
        """polars DataFrames of the records (polars must be installed: ``pip install driftsim-trace[polars]``).

        With ``kind`` one DataFrame, else a dict of one DataFrame per record kind. Columns as in
        :meth:`columns`, so a frame equals ``polars.read_ipc`` of the same kind exported by
        ``driftsim-replay export --format arrow``.
        """
        try:
            import polars as pl
        except ImportError as e:
            raise ImportError("Trace.to_polars needs polars: pip install 'driftsim-trace[polars]'") from e
        return self._frames(kind, pl.DataFrame)

    def _frames(self, kind, make):
        if kind is not None:
            if kind not in self.records:
                raise KeyError(f"no record kind {kind!r} in '{self.path}' (kinds: {', '.join(self.records)})")
            return make(self.columns(kind))
        return {name: make(self.columns(name)) for name in self.records}


def _flat_columns(array: np.ndarray) -> dict[str, np.ndarray]:
    columns = {}
    for name in array.dtype.names:
        column = array[name]
        native = column.dtype.newbyteorder("=")
        if column.ndim == 2:
            for j in range(column.shape[1]):
                columns[f"count_{j}"] = np.ascontiguousarray(column[:, j], dtype=native)
        else:
            columns[name] = np.ascontiguousarray(column, dtype=native)
    return columns


def record_dtype(schema: dict) -> np.dtype:
    """The numpy dtype of one record kind from its header schema entry."""
    names, formats, offsets = [], [], []
    for f in schema["fields"]:
        names.append(f["name"])
        formats.append((f["type"], (f["count"],)) if f["name"] == "counts" else f["type"])
        offsets.append(f["offset"])
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": schema["recordSize"]})


def _parse_header(buf: memoryview, path: str):
    size = len(buf)
    if size < 8 or bytes(buf[:8]) != MAGIC:
        if 0 < size < 8 and bytes(buf[:size]) == MAGIC[:size]:
            raise TraceFormatError(f"'{path}' is truncated inside the header", size)
        raise TraceFormatError(f"'{path}' is not a DriftSim trace (bad magic)", 0)
    if size < 16:
        raise TraceFormatError(f"'{path}' is truncated inside the header", size)
    major, minor, length = struct.unpack_from("<HHI", buf, 8)
    if major > MAJOR_VERSION:
        raise TraceFormatError(
            f"'{path}' uses trace format {major}.{minor}, newer than this reader (format {MAJOR_VERSION}.x); "
            "upgrade DriftSim to read it")
    if major == 0:
        raise TraceFormatError(f"'{path}': corrupt header (format version {major}.{minor} does not exist)", 8)
    end = 16 + length + 4
    if end > size:
        raise TraceFormatError(f"'{path}' is truncated inside the header", size)
    (stored,) = struct.unpack_from("<I", buf, end - 4)
    if crc32c(buf[: end - 4]) != stored:
        raise TraceFormatError(f"'{path}': corrupt header (CRC32C mismatch)", end - 4)
    try:
        header = json.loads(bytes(buf[16 : 16 + length]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TraceFormatError(f"'{path}': corrupt header (unreadable header JSON)", 16) from None
    if header.get("format") != "driftsim-trace":
        raise TraceFormatError(f"'{path}': header format is not 'driftsim-trace'", 16)
    return (major, minor), header, end


def _parse_footer(buf: memoryview, data_offset: int):
    """Returns (footer dict or None, problem string or None, problem offset)."""
    size = len(buf)
    if size < data_offset + TRAILER.size:
        return None, "no footer", size
    footer_offset, footer_length, magic = TRAILER.unpack_from(buf, size - TRAILER.size)
    if magic != TRAILER_MAGIC:
        return None, "no footer (the trace was not finished)", size
    if not (data_offset <= footer_offset and footer_length >= 20 and footer_offset + footer_length == size - TRAILER.size):
        return None, "corrupt trailer (footer offset/length inconsistent)", size - TRAILER.size
    raw = buf[footer_offset : footer_offset + footer_length]
    (stored,) = struct.unpack_from("<I", raw, footer_length - 4)
    if crc32c(raw[:-4]) != stored:
        return None, "corrupt footer (CRC32C mismatch)", footer_offset
    fmagic, flags, block_count, kind_count = struct.unpack_from("<IIII", raw, 0)
    if fmagic != FOOTER_MAGIC or 16 + 24 * kind_count + 32 * block_count + 4 != footer_length:
        return None, "corrupt footer (sizes inconsistent)", footer_offset
    totals = np.frombuffer(raw, dtype=np.dtype([("records", "<u8"), ("firstTime", "<f8"), ("lastTime", "<f8")]),
                           count=kind_count, offset=16)
    blocks = np.frombuffer(raw, dtype=np.dtype([("offset", "<u8"), ("count", "<u4"), ("kind", "u1"), ("pad", "V3"),
                                                ("firstTime", "<f8"), ("lastTime", "<f8")]),
                           count=block_count, offset=16 + 24 * kind_count)
    return {"offset": footer_offset, "interrupted": bool(flags & FLAG_INTERRUPTED), "totals": totals,
            "blocks": blocks}, None, None


def read_trace(path: str, verify: bool = True, salvage: bool = False, strict: bool = False) -> Trace:
    """Loads every record of the trace at ``path``.

    verify: check payload CRC32Cs (header, block-header and footer CRCs are always checked).
    salvage: skip damaged blocks (listed in ``integrity['problems']``) instead of raising.
    strict: raise on a truncated trace instead of reporting it.
    """
    with open(path, "rb") as fh:
        data = fh.read()
    buf = memoryview(data)
    version, header, data_offset = _parse_header(buf, path)
    schemas = {s["kind"]: s for s in header["schema"]}
    dtypes = {k: record_dtype(s) for k, s in schemas.items()}
    names = {k: s["name"] for k, s in schemas.items()}
    footer, footer_problem, footer_problem_offset = _parse_footer(buf, data_offset)
    end = footer["offset"] if footer else len(buf)
    problems: list[dict] = []
    status = "complete"

    def damaged(message, offset):
        nonlocal status
        if not salvage:
            raise TraceFormatError(f"'{path}': {message}", offset)
        problems.append({"offset": offset, "message": f"{message} at byte offset {offset}"})
        status = "corrupt"

    def truncated(message, offset):
        nonlocal status
        if strict:
            raise TraceFormatError(f"'{path}': {message}", offset)
        problems.append({"offset": offset, "message": f"{message} at byte offset {offset}"})
        if status == "complete":
            status = "truncated"

    pending = []  # (kind, offset, payload, expected crc, block index)
    pos, index = data_offset, 0
    while pos < end:
        if end - pos < BLOCK_HEADER.size:
            if footer is None and bytes(buf[pos:pos + 4]) == struct.pack("<I", FOOTER_MAGIC):
                break
            if footer is None:
                truncated(f"truncated: the file ends inside block {index}", pos)
            else:
                damaged(f"corrupt block {index} (stray bytes before the footer)", pos)
            break
        magic, kind, count, length, first, last, payload_crc, header_crc = BLOCK_HEADER.unpack_from(buf, pos)
        if magic != BLOCK_MAGIC or crc32c(buf[pos:pos + 36]) != header_crc:
            if footer is None and magic == FOOTER_MAGIC:
                break
            damaged(f"corrupt block {index} (bad block header)", pos)
            nxt = _resynchronise(buf, pos + 1, end)
            if nxt is None:
                break
            pos, index = nxt, index + 1
            continue
        block_end = pos + BLOCK_HEADER.size + length
        if block_end > end:
            if footer is None:
                truncated(f"truncated: the file ends inside block {index}", pos)
                break
            damaged(f"corrupt block {index} (length runs past the footer)", pos)
            nxt = _resynchronise(buf, pos + 1, end)
            if nxt is None:
                break
            pos, index = nxt, index + 1
            continue
        if kind in dtypes:
            size = dtypes[kind].itemsize
            if count == 0 or length != count * size or length > MAX_BLOCK_PAYLOAD:
                damaged(f"corrupt block {index} ({count} records of {size} bytes do not fill {length} bytes)", pos)
            else:
                pending.append((kind, pos, buf[pos + BLOCK_HEADER.size:block_end], payload_crc, index))
        pos, index = block_end, index + 1

    if verify:
        crcs = _crc32c_many([p[2] for p in pending])
        intact = []
        for (kind, offset, payload, expected, idx), crc in zip(pending, crcs):
            if crc != expected:
                damaged(f"corrupt block {idx} (payload CRC32C mismatch)", offset)
            else:
                intact.append((kind, payload))
    else:
        intact = [(p[0], p[2]) for p in pending]

    parts: dict[int, list] = {k: [] for k in dtypes}
    for kind, payload in intact:
        parts[kind].append(np.frombuffer(payload, dtype=dtypes[kind]))
    records = {names[k]: (np.concatenate(v) if v else np.zeros(0, dtype=dtypes[k])) for k, v in parts.items()}

    if footer is not None:
        if index != len(footer["blocks"]) and status == "complete":
            damaged(f"corrupt footer (it indexes {len(footer['blocks'])} blocks, the file holds {index})", footer["offset"])
    elif status == "complete":
        if footer_problem and footer_problem.startswith("corrupt"):
            damaged(footer_problem, footer_problem_offset)
        else:
            truncated("truncated: no footer", pos)
    integrity = {
        "status": status,
        "interrupted": bool(footer and footer["interrupted"]),
        "problems": problems,
    }
    return Trace(path=path, version=version, header=header, records=records, integrity=integrity, footer=footer)


def _resynchronise(buf: memoryview, start: int, end: int):
    """Offset of the next valid block header at or after ``start``, or None."""
    needle = struct.pack("<I", BLOCK_MAGIC)
    data = bytes(buf[:end])
    pos = data.find(needle, start)
    while pos >= 0 and pos + BLOCK_HEADER.size <= end:
        (header_crc,) = struct.unpack_from("<I", buf, pos + 36)
        if crc32c(buf[pos:pos + 36]) == header_crc:
            return pos
        pos = data.find(needle, pos + 1)
    return None
