"""Tests of tools/driftsim_trace.py against the golden traces in traces/, and of the Arrow export
(pyarrow and polars must open the committed golden Arrow files and, when a driftsim-replay binary
is available, freshly exported ones)."""

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import driftsim_trace as dt  # noqa: E402

TRACES = ROOT / "traces"
NETWORK = TRACES / "golden-network-v1.0.dstrace"
CTMC = TRACES / "golden-ctmc-v1.0.dstrace"
TRUNCATED = TRACES / "golden-truncated-v1.0.dstrace"
CORRUPT = TRACES / "golden-corrupt-v1.0.dstrace"
ARROW = TRACES / "golden-arrow"


def replay_binary():
    """The driftsim-replay executable: $DRIFTSIM_REPLAY, or a build product in the package."""
    env = os.environ.get("DRIFTSIM_REPLAY")
    if env:
        return env
    built = [p for scratch in (".build", ".build-trace") for config in ("release", "debug")
             if (p := ROOT / scratch / config / "driftsim-replay").exists()]
    if built:
        return str(max(built, key=lambda p: p.stat().st_mtime))  # the most recent build
    return shutil.which("driftsim-replay")


def test_crc32c_check_values():
    assert dt.crc32c(b"123456789") == 0xE3069283
    assert dt.crc32c(bytes(32)) == 0x8A9136AA
    assert dt.crc32c(b"") == 0
    # The vectorised path (many equal-length inputs) agrees with the scalar one.
    rng = np.random.default_rng(1)
    payloads = [rng.integers(0, 256, 100, dtype=np.uint8).tobytes() for _ in range(40)]
    assert dt._crc32c_many(payloads) == [dt.crc32c(p) for p in payloads]


def test_network_golden_trace():
    t = dt.read_trace(str(NETWORK))
    assert t.version == (1, 0)
    assert t.integrity["status"] == "complete"
    assert t.metadata["pairs"] == "2"
    assert json.loads(t.scenario)["epochs"] == 200
    r = t.records
    assert len(r["slot"]) == 2 * 200 * 10
    assert len(r["epoch"]) == 2 * 200
    assert r["packetArrival"].dtype.itemsize == 24 and r["packetDeparture"].dtype.itemsize == 24
    for kind in ("packetArrival", "packetDeparture", "epoch", "slot"):
        assert np.all(np.diff(r[kind]["time"]) >= 0), kind
    # Footer totals agree with what was read.
    totals = t.footer["totals"]
    for code, kind in enumerate(("packetArrival", "packetDeparture", "epoch", "slot"), start=1):
        assert totals["records"][code - 1] == len(r[kind])
    # Every departure matches its arrival: departure time - delay == arrival time (delay is binary32).
    arrivals = {int(i): (float(tm), int(p)) for i, tm, p in zip(r["packetArrival"]["packetID"],
                                                                 r["packetArrival"]["time"],
                                                                 r["packetArrival"]["pair"])}
    for dep in r["packetDeparture"]:
        a_time, a_pair = arrivals[int(dep["packetID"])]
        assert a_pair == dep["pair"]
        assert abs(dep["time"] - float(dep["delay"]) - a_time) <= 1e-7 * max(1.0, dep["time"])
    # Slots run at 0.5 ms spacing per pair.
    pair0 = r["slot"][r["slot"]["pair"] == 0]["time"]
    assert np.allclose(np.diff(pair0), 0.0005)


def test_ctmc_golden_trace():
    t = dt.read_trace(str(CTMC))
    assert t.integrity["status"] == "complete"
    snaps = t.records["ctmcSnapshot"]
    assert snaps["counts"].shape == (201, 2)
    assert np.all(snaps["counts"].sum(axis=1) == 100)
    assert np.allclose(snaps["time"], np.arange(201) * 0.1)
    jumps = t.records["ctmcJump"]
    assert set(np.unique(jumps["transition"])) <= {0, 1}
    # The infected count changes by +1 per infection and -1 per recovery between snapshots.
    infected = 10 + np.cumsum(np.where(jumps["transition"] == 0, 1, -1))
    last = np.searchsorted(jumps["time"], snaps["time"][-1], side="right")
    assert infected[last - 1] == snaps["counts"][-1, 1]


def test_truncated_and_corrupt_traces():
    t = dt.read_trace(str(TRUNCATED))
    assert t.integrity["status"] == "truncated"
    assert "byte offset" in t.integrity["problems"][0]["message"]
    with pytest.raises(dt.TraceFormatError):
        dt.read_trace(str(TRUNCATED), strict=True)
    full = dt.read_trace(str(NETWORK))
    assert len(t.records["slot"]) < len(full.records["slot"])

    with pytest.raises(dt.TraceFormatError) as err:
        dt.read_trace(str(CORRUPT))
    assert "CRC32C" in str(err.value) and err.value.offset is not None
    s = dt.read_trace(str(CORRUPT), salvage=True)
    assert s.integrity["status"] == "corrupt"
    lost = sum(len(full.records[k]) for k in full.records) - sum(len(s.records[k]) for k in s.records)
    assert 0 < lost <= 4096 // 24


def test_newer_major_version_is_refused(tmp_path):
    data = bytearray(NETWORK.read_bytes())
    struct.pack_into("<H", data, 8, 2)
    p = tmp_path / "v2.dstrace"
    p.write_bytes(bytes(data))
    with pytest.raises(dt.TraceFormatError, match="newer than this reader"):
        dt.read_trace(str(p))
    p.write_bytes(b"not a trace at all")
    with pytest.raises(dt.TraceFormatError, match="not a DriftSim trace"):
        dt.read_trace(str(p))


def test_bit_flips_are_detected(tmp_path):
    data = NETWORK.read_bytes()
    p = tmp_path / "flip.dstrace"
    rng = np.random.default_rng(7)
    for offset in rng.integers(0, len(data), 40):
        damaged = bytearray(data)
        damaged[offset] ^= 0x04
        p.write_bytes(bytes(damaged))
        try:
            t = dt.read_trace(str(p))
        except dt.TraceFormatError:
            continue
        assert t.integrity["status"] != "complete", offset


def test_pandas_frames():
    pd = pytest.importorskip("pandas")
    frames = dt.read_trace(str(CTMC)).to_pandas()
    assert list(frames["ctmcSnapshot"].columns) == ["time", "counts_0", "counts_1"]
    assert isinstance(frames["ctmcJump"], pd.DataFrame)


def _check_arrow_dir(directory: Path):
    pa_ipc = pytest.importorskip("pyarrow.ipc")
    pl = pytest.importorskip("polars")
    expected = {}
    for trace in (NETWORK, CTMC):
        t = dt.read_trace(str(trace))
        expected.update({kind: t.records[kind] for kind in t.header["level"]})
    assert len(expected) == 6
    for kind, array in expected.items():
        path = directory / f"{kind}.arrow"
        assert path.exists(), path
        table = pa_ipc.open_file(str(path)).read_all()
        frame = pl.read_ipc(str(path))
        assert table.num_rows == len(array) == frame.height
        for name in array.dtype.names:
            column = array[name]
            if column.ndim == 2:
                for j in range(column.shape[1]):
                    np.testing.assert_array_equal(table.column(f"count_{j}").to_numpy(), column[:, j])
                    np.testing.assert_array_equal(frame[f"count_{j}"].to_numpy(), column[:, j])
            else:
                np.testing.assert_array_equal(table.column(name).to_numpy(), column)
                np.testing.assert_array_equal(frame[name].to_numpy(), column)
                assert table.column(name).type.to_pandas_dtype() == column.dtype.newbyteorder("=")


def test_committed_arrow_exports_open_with_pyarrow_and_polars():
    _check_arrow_dir(ARROW)


def test_fresh_export_with_driftsim_replay(tmp_path):
    binary = replay_binary()
    if binary is None:
        pytest.skip("driftsim-replay is not built (set DRIFTSIM_REPLAY)")
    for trace in (NETWORK, CTMC):
        subprocess.run([binary, "export", str(trace), "--format", "arrow", "-o", str(tmp_path), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
    _check_arrow_dir(tmp_path)
    # CSV export agrees with numpy too.
    subprocess.run([binary, "export", str(NETWORK), "--format", "csv", "-o", str(tmp_path / "csv")], check=True,
                   stdout=subprocess.DEVNULL)
    rows = np.genfromtxt(tmp_path / "csv" / "slot.csv", delimiter=",", names=True)
    slots = dt.read_trace(str(NETWORK)).records["slot"]
    np.testing.assert_array_equal(rows["time"], slots["time"])
    np.testing.assert_array_equal(rows["power"].astype(np.float32), slots["power"])


def test_summary_json_agrees_with_numpy():
    binary = replay_binary()
    if binary is None:
        pytest.skip("driftsim-replay is not built (set DRIFTSIM_REPLAY)")
    out = subprocess.run([binary, "summary", str(NETWORK), "--json", "-"], check=True, capture_output=True, text=True)
    report = json.loads(out.stdout)
    r = dt.read_trace(str(NETWORK)).records
    dep = r["packetDeparture"]
    for k in (0, 1):
        mine = dep[dep["pair"] == k]["delay"].astype(np.float64)
        pair = report["pairs"][k]
        assert pair["packetsOut"] == len(mine)
        assert pair["packetsIn"] == int(np.sum(r["packetArrival"]["pair"] == k))
        assert abs(pair["meanDelaySeconds"] - mine.mean()) <= 1e-12 * mine.mean()
        assert pair["delayMaxSeconds"] == mine.max()
        power = r["slot"][r["slot"]["pair"] == k]["power"].astype(np.float64).mean()
        assert abs(pair["averagePower"] - power) <= 1e-12 * power
        assert abs(pair["avgTransmitSNRdB"] - 10 * np.log10(power)) <= 1e-9
