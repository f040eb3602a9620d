"""Tests of the installed driftsim_trace package against the golden traces in traces/, and of the
Arrow export (pyarrow and polars must open the committed golden Arrow files and, when a
driftsim-replay binary is available, freshly exported ones; the package's DataFrames must equal
them)."""

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import driftsim_trace as dt
from driftsim_trace import reader

ROOT = Path(__file__).resolve().parents[2]
# The golden traces of the DriftSim repository this file sits in (or $DRIFTSIM_TRACES).
TRACES = Path(os.environ.get("DRIFTSIM_TRACES", ROOT / "traces"))
NETWORK = TRACES / "golden-network-v1.0.dstrace"
CTMC = TRACES / "golden-ctmc-v1.0.dstrace"
TRUNCATED = TRACES / "golden-truncated-v1.0.dstrace"
CORRUPT = TRACES / "golden-corrupt-v1.0.dstrace"
ARROW = TRACES / "golden-arrow"


def replay_binary():
    """The driftsim-replay executable: $DRIFTSIM_REPLAY (which must then exist), or a build product
    in the package, or one on PATH; None if there is none."""
    env = os.environ.get("DRIFTSIM_REPLAY")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            pytest.fail(f"DRIFTSIM_REPLAY={env} is not an executable file")
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
    assert reader._crc32c_many(payloads) == [dt.crc32c(p) for p in payloads]


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
    assert set(frames) == {"packetArrival", "packetDeparture", "epoch", "slot", "ctmcJump", "ctmcSnapshot"}
    assert list(frames["ctmcSnapshot"].columns) == ["time", "count_0", "count_1"]
    assert isinstance(frames["ctmcJump"], pd.DataFrame)
    assert len(frames["ctmcSnapshot"]) == 201 and len(frames["slot"]) == 0
    one = dt.to_pandas(CTMC, "ctmcSnapshot")  # module-level form, from a path
    pd.testing.assert_frame_equal(one, frames["ctmcSnapshot"])
    with pytest.raises(KeyError, match="no record kind 'nope'"):
        dt.read_trace(str(CTMC)).to_pandas("nope")


def _golden_kinds():
    """(trace, kind) for every kind a golden trace was written with (the kinds in golden-arrow/)."""
    return [(trace, kind) for trace in (NETWORK, CTMC) for kind in dt.read_trace(str(trace)).header["level"]]


def test_dataframes_equal_the_arrow_export():
    """The package's pandas and polars frames equal what driftsim-replay exported (an independent
    implementation of the record layouts, in Swift): same columns, types and values."""
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    from polars.testing import assert_frame_equal

    pa_ipc = pytest.importorskip("pyarrow.ipc")
    kinds = _golden_kinds()
    assert len(kinds) == 6
    for trace, kind in kinds:
        t = dt.read_trace(str(trace))
        assert_frame_equal(t.to_polars(kind), pl.read_ipc(str(ARROW / f"{kind}.arrow")))
        assert_frame_equal(dt.to_polars(t)[kind], t.to_polars(kind))
        exported = pa_ipc.open_file(str(ARROW / f"{kind}.arrow")).read_all().to_pandas()
        pd.testing.assert_frame_equal(t.to_pandas(kind), exported)


def test_core_needs_numpy_only():
    """The package declares numpy as its only unconditional dependency, and reading a trace imports
    neither pandas nor polars."""
    from importlib.metadata import requires

    unconditional = [r for r in requires("driftsim-trace") if "extra ==" not in r]
    assert [r.split(">")[0].split("=")[0].strip() for r in unconditional] == ["numpy"]
    code = ("import sys, driftsim_trace; t = driftsim_trace.read_trace(sys.argv[1]); "
            "t.columns('slot'); assert 'pandas' not in sys.modules and 'polars' not in sys.modules, "
            "sorted(m for m in sys.modules if m.startswith(('pandas', 'polars')))")
    subprocess.run([sys.executable, "-c", code, str(NETWORK)], check=True)


def test_command_line():
    ok = subprocess.run([sys.executable, "-m", "driftsim_trace", str(NETWORK), str(CTMC)],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.splitlines()
    assert len(lines) == 2
    net = dt.read_trace(str(NETWORK)).records
    assert lines[0] == (f"{NETWORK}: format 1.0, packetArrival={len(net['packetArrival'])}, "
                        f"packetDeparture={len(net['packetDeparture'])}, epoch=400, slot=4000; complete")
    assert "ctmcSnapshot=201" in lines[1] and lines[1].endswith("; complete")
    bad = subprocess.run([sys.executable, "-m", "driftsim_trace", str(TRUNCATED), str(CORRUPT)],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stdout.rstrip().endswith("; truncated")
    assert bad.stderr.startswith("driftsim_trace: error: ") and "CRC32C" in bad.stderr
    usage = subprocess.run([sys.executable, "-m", "driftsim_trace"], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage:" in usage.stderr


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
