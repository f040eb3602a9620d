#!/usr/bin/env python3
"""Power spent per queue length, idle slots and the epoch-boundary effect, from slot-level traces.

Usage: power_by_queue.py TRACE [TRACE ...]   (traces of `driftsim run --set traceLevel=slots --trace F`)

For every slot record (one per pair per slot, time = slot start) the packets queued at the slot start
are rebuilt from the packet records: arrivals before the slot start minus departures at or before it
(departures happen at slot ends, which are the next slot's start). Only slots after the trace's
warm-up are counted. Prints, per trace (policy), a markdown table: share of slots, mean power (noise
units) and share of all power for n = 0, 1, 2, 3, 4+ packets; the share of slots with packets but no
power ("idle with backlog"); and the mean power in slots with packets whose epoch started with an
empty queue (where an epoch-refreshed fluid weight sits at J'(0)), next to the mean over all slots
with packets. Needs numpy and the driftsim_trace package (pip install ./python).
"""
import sys

import numpy as np

import driftsim_trace


def analyse(path):
    t = driftsim_trace.read_trace(path)
    meta = t.metadata
    pairs = int(meta["pairs"])
    epoch_seconds = float(meta["epochSeconds"])
    warmup = int(meta["warmupEpochs"]) * epoch_seconds
    arrivals, departures = t.columns("packetArrival"), t.columns("packetDeparture")
    slots, epochs = t.columns("slot"), t.columns("epoch")
    counts, powers, empty_epoch = [], [], []
    for k in range(pairs):
        a = np.sort(arrivals["time"][arrivals["pair"] == k])
        d = np.sort(departures["time"][departures["pair"] == k])
        mine = slots["pair"] == k
        start = slots["time"][mine]
        n = np.searchsorted(a, start, side="left") - np.searchsorted(d, start, side="right")
        e = epochs["pair"] == k
        epoch_start, epoch_queue = epochs["time"][e], epochs["queueBits"][e]
        index = np.searchsorted(epoch_start, start, side="right") - 1
        keep = start >= warmup
        counts.append(n[keep])
        powers.append(slots["power"][mine][keep].astype(float))
        empty_epoch.append(epoch_queue[index][keep] == 0)
    n, p, empty = np.concatenate(counts), np.concatenate(powers), np.concatenate(empty_epoch)
    return meta["policy"], n, p, empty


def main(paths):
    for path in paths:
        policy, n, p, empty = analyse(path)
        total = p.sum()
        print(f"\n{policy} ({path}): {len(n)} pair-slots, mean power {p.mean():.3f}")
        print("| packets at slot start | share of slots | mean power | share of power |")
        print("|---|---:|---:|---:|")
        for label, mask in [("0", n == 0), ("1", n == 1), ("2", n == 2), ("3", n == 3), ("4+", n >= 4)]:
            share = mask.mean()
            mean = p[mask].mean() if mask.any() else float("nan")
            print(f"| {label} | {share:.4f} | {mean:.3f} | {p[mask].sum() / total:.4f} |")
        busy = n > 0
        idle = (busy & (p == 0)).mean() / busy.mean()
        boundary = busy & empty
        print(f"idle with backlog: {idle:.4f} of slots with packets; mean power with packets {p[busy].mean():.3f}, "
              f"of which in epochs that started empty {p[boundary].mean() if boundary.any() else float('nan'):.3f} "
              f"({boundary.mean() / busy.mean():.4f} of slots with packets)")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
