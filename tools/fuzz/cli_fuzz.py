#!/usr/bin/env python3
"""Command-line fuzzer for driftsim and driftsim-replay.

The grammar comes from the binaries themselves (`--experimental-dump-help`, swift-argument-parser's
JSON description of every command, option, flag and positional argument), so new commands and
options are covered without editing this file. Each execution picks a leaf command, a random subset
of its options, and values drawn from {valid, 0, -1, 1e20, 1e-300, nan, inf, "", huge strings,
lists of the wrong length, paths to devices and odd files}, runs it with a short time limit inside a
scratch directory, and records a finding for:
  - an exit status other than 0, 1, 2 (a Swift trap is 132/133, an abort 134, a signal -N);
  - "Fatal error" or a stack trace on stderr;
  - a timeout (the command ignored the documented limits or has none);
  - an error line naming Foundation internals ("NSCocoaErrorDomain") or longer than 1000 characters.
Afterwards it checks that no node in /dev changed (type, device number, inode) and that nothing
outside the scratch directory was written (the repository's git status is unchanged).

  tools/fuzz/cli_fuzz.py --seconds 120 [--seed N] [--bin-dir .build/debug] [--timeout 10]

Exit status: 0 without findings, 1 with findings (listed on stdout and in findings.json), 2 on a
setup error.
"""
import argparse
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HUGE = "9" * 100_000
BAD_NUMBERS = ["0", "-1", "1e20", "1e-300", "nan", "inf", "-inf", "", "1e309", "2.5", "0x10", HUGE, "abc"]
BAD_LISTS = ["1,2,3,4,5,6,7,8,9,10,11", "1,", ",", "0.5", "1,,2", "-1,-2", "nan,nan", "1e20,1e21", ""]
# Size options get small values unless the fuzzer picked them, so that valid runs stay short.
SMALL = {
    "epochs": "200", "replications": "1", "repetitions": "1", "records": "1000", "events": "10000",
    "population": "20", "horizon": "1", "truncation": "12", "points": "5", "bins": "5", "jobs": "1",
    "steps": "20", "iterations": "50", "max-iterations": "50", "batches": "5",
}
SCENARIO_KEYS = ["arrivalRate", "crossGain", "beta", "gamma", "epochs", "warmupEpochs", "pairs", "seed",
                 "maxQueuePackets", "traceLevel", "policy", "targetSNRdB", "replications", "slotsPerEpoch"]


# Studies that take seconds to minutes by design (K = 2 value iteration: the state space is N² and
# every state integrates over K² fading gains; `policy solve --refine` solves the slot-level MDP
# four times, ~15 s; `validate exponential` draws 2·10⁸ variates and sorts 10⁸, ~30 s); their --help
# documents it.
LONG_STUDIES = ("fluid two-pair", "fluid decoupling", "policy solve", "validate exponential")


def is_benchmark(path):
    """Benchmarks run for as long as they measure, and the long studies for minutes: their timeouts
    are expected, not findings (crashes, bad exit codes and Foundation text still are)."""
    joined = " ".join(path) if isinstance(path, (list, tuple)) else str(path)
    return "bench" in joined or any(study in joined for study in LONG_STUDIES)


def dump_help(binary):
    out = subprocess.run([binary, "--experimental-dump-help"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit(f"cli-fuzz: {binary} --experimental-dump-help failed: {out.stderr.strip()}")
    return json.loads(out.stdout)["command"]


def leaves(command, path):
    subs = [s for s in command.get("subcommands", []) if s["commandName"] != "help"]
    if not subs:
        yield path, command.get("arguments", [])
    for s in subs:
        yield from leaves(s, path + [s["commandName"]])


def long_name(arg):
    names = [n["name"] for n in arg.get("names", []) if n.get("kind") in ("long", "longWithSingleDash")]
    return names[0] if names else None


class Generator:
    def __init__(self, rng, scratch, traces, scenario):
        self.rng = rng
        self.scratch = scratch
        self.traces = traces
        self.scenario = scenario

    def path_value(self, name):
        r = self.rng
        choices = [os.path.join(self.scratch, f"out-{r.randrange(1000)}"), "/dev/null", "/dev/full", self.scratch,
                   os.path.join(self.scratch, "missing", "x"), os.path.join(self.scratch, "file", "x"), "-",
                   os.path.join(self.scratch, "fifo-unused-" + str(r.randrange(10))), "", HUGE[:4000]]
        if name in ("output-directory", "directory"):
            choices += [os.path.join(self.scratch, f"dir-{r.randrange(100)}")] * 3
        return r.choice(choices)

    def value(self, arg, name):
        r = self.rng
        value_name = (arg.get("valueName") or "").lower()
        if arg.get("allValues") and r.random() < 0.6:
            return r.choice(arg["allValues"])
        if name in ("json", "svg", "trace", "output", "output-directory", "directory") or "path" in value_name or value_name == "dir":
            if name == "model-file" or "model" in value_name:
                return r.choice([self.scenario, "/dev/null", self.scratch, HUGE[:200], os.path.join(self.scratch, "nope.yaml")])
            return self.path_value(name)
        if name == "set":
            key = r.choice(SCENARIO_KEYS + ["noSuchKey", "", HUGE[:300]])
            return f"{key}={r.choice(BAD_NUMBERS + BAD_LISTS + ['paper', 'fluid', '[1,2]', '&a [*a]', 'true'])}"
        if name == "vary":
            return f"{r.choice(SCENARIO_KEYS)}={r.choice(BAD_LISTS + ['0.1,0.2'])}"
        if "," in value_name or "list" in value_name or name in ("queues", "range", "initial", "initial-queues", "kinds", "policies"):
            return r.choice(BAD_LISTS + ["1,2", "0.5,0.5", "packets,slots", "all"])
        if arg.get("defaultValue") is not None and r.random() < 0.3:
            return arg["defaultValue"]
        return r.choice(BAD_NUMBERS)

    def positional(self, arg, path):
        r = self.rng
        name = (arg.get("valueName") or "").lower()
        if "trace" in name:
            return r.choice(self.traces + [self.scenario, "/dev/null", self.scratch, os.path.join(self.scratch, "none.dstrace")])
        if "scenario" in name:
            return r.choice([self.scenario, "/dev/null", self.scratch, os.path.join(self.scratch, "none.yaml"), "paper"])
        return r.choice(BAD_NUMBERS)

    def argv(self, path, arguments):
        r = self.rng
        args = []
        chosen = set()
        for arg in arguments:
            name = long_name(arg)
            if name in ("help", "version", "experimental-dump-help", "generate-completion-script", "until-interrupted"):
                continue
            if arg["kind"] == "positional":
                if not arg.get("isOptional", True) or r.random() < 0.5:
                    args.append(self.positional(arg, path))
                continue
            if name is None or r.random() > 0.35:
                continue
            chosen.add(name)
            if arg["kind"] == "flag":
                args.append("--" + name)
                continue
            repeat = 1 + (r.randrange(3) if arg.get("isRepeating") else 0)
            for _ in range(repeat):
                v = self.value(arg, name)
                if v.startswith("-") and v != "-" and r.random() < 0.5:
                    args.append(f"--{name}={v}")
                else:
                    args += ["--" + name, v]
        names = {long_name(a) for a in arguments}
        for option, small in SMALL.items():
            if option in names and option not in chosen:
                args += ["--" + option, small]
        if "set" in names:
            args += ["--set", "epochs=200", "--set", "warmupEpochs=20", "--set", "replications=1"]
        if r.random() < 0.1 and args:
            r.shuffle(args)
        return args


def dev_snapshot():
    nodes = {}
    for root in ["/dev", "/dev/shm"]:
        try:
            for entry in os.scandir(root):
                try:
                    st = entry.stat(follow_symlinks=False)
                    nodes[entry.path] = (stat.S_IFMT(st.st_mode), st.st_rdev, st.st_ino)
                except OSError:
                    pass
        except OSError:
            pass
    return nodes


def git_status():
    try:
        out = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=all"], capture_output=True,
                             text=True, timeout=60)
        return out.stdout if out.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def run_one(binary, args, cwd, timeout):
    start = time.monotonic()
    for attempt in range(20):
        try:
            proc = subprocess.Popen([binary] + args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True)
            break
        except OSError as error:  # e.g. "Text file busy" while the binary is being rebuilt
            if attempt == 19:
                raise SystemExit(f"cli-fuzz: cannot start {binary}: {error}")
            time.sleep(1)
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err, time.monotonic() - start, False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the child's own process group only
        out, err = proc.communicate()
        return None, out, err, time.monotonic() - start, True


def classify(status, err, timed_out):
    text = err.decode("utf-8", "replace")
    if timed_out:
        return "timeout"
    if status is None:
        return None  # a benchmark stopped at its time limit
    if status not in (0, 1, 2):
        return f"exit {status}"
    if "Fatal error" in text or "Stack dump" in text or "Current stack trace" in text:
        return "fatal error message"
    if "NSCocoaErrorDomain" in text or "The data couldn" in text or "The operation could" in text:
        return "Foundation error text"
    if any(len(line) > 1000 for line in text.splitlines()):
        return "error line longer than 1000 characters"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--bin-dir", default=os.environ.get("DRIFTSIM_BIN_DIR", os.path.join(ROOT, ".build", "debug")))
    parser.add_argument("--timeout", type=float, default=10, help="seconds per execution")
    parser.add_argument("--report", default=None, help="write findings as JSON here")
    options = parser.parse_args()
    seed = options.seed if options.seed is not None else int(time.time())
    rng = random.Random(seed)

    binaries = {name: os.path.join(options.bin_dir, name) for name in ("driftsim", "driftsim-replay")}
    for b in binaries.values():
        if not os.access(b, os.X_OK):
            print(f"cli-fuzz: {b} is not built (swift build first, or pass --bin-dir)", file=sys.stderr)
            return 2
    grammar = []
    for name, binary in binaries.items():
        for path, arguments in leaves(dump_help(binary), []):
            grammar.append((name, binary, path, arguments))

    scratch = tempfile.mkdtemp(prefix="driftsim-cli-fuzz-")
    try:
        traces = []
        for t in ("golden-network-v1.1.dstrace", "golden-ctmc-v1.1.dstrace", "golden-truncated-v1.0.dstrace",
                  "golden-corrupt-v1.0.dstrace"):
            src = os.path.join(ROOT, "traces", t)
            if os.path.exists(src):
                shutil.copy(src, scratch)
                traces.append(os.path.join(scratch, t))
        scenario = os.path.join(scratch, "scenario.yaml")
        with open(scenario, "w") as f:
            f.write("epochs: 200\nwarmupEpochs: 20\nreplications: 1\n")
        with open(os.path.join(scratch, "file"), "w") as f:
            f.write("a file used as a parent directory\n")
        gen = Generator(rng, scratch, traces, scenario)

        parent = os.path.dirname(scratch)
        siblings_before = set(os.listdir(parent))
        dev_before = dev_snapshot()
        git_before = git_status()
        deadline = time.monotonic() + options.seconds
        execs = 0
        findings = []
        statuses = {}
        weights = [0.2 if is_benchmark(g[2]) else 1.0 for g in grammar]
        while time.monotonic() < deadline:
            name, binary, path, arguments = rng.choices(grammar, weights)[0]
            args = path + gen.argv(path, arguments)
            bench = is_benchmark(path)
            status, out, err, elapsed, timed_out = run_one(binary, args, scratch, min(3, options.timeout) if bench else options.timeout)
            execs += 1
            statuses[status] = statuses.get(status, 0) + 1
            problem = classify(status, err, timed_out and not bench)
            if timed_out and bench:
                problem = None
            if problem:
                shown = [a if len(a) <= 120 else a[:60] + f"…({len(a)} chars)" for a in args]
                first = err.decode("utf-8", "replace").strip().splitlines()[:1]
                findings.append({"problem": problem, "command": [name] + shown, "exit": status,
                                 "seconds": round(elapsed, 2), "stderr": first[0][:300] if first else ""})
                print(f"FINDING {problem}: {name} {' '.join(shown)}\n  exit {status}, {elapsed:.1f} s: {findings[-1]['stderr']}",
                      flush=True)
        dev_after = dev_snapshot()
        changed = sorted(p for p in set(dev_before) | set(dev_after) if dev_before.get(p) != dev_after.get(p))
        # Pseudo-terminals and other nodes come and go on a busy machine: only regular-device changes count.
        changed = [p for p in changed if not p.startswith("/dev/pts") and not p.startswith("/dev/shm/")]
        for p in changed:
            findings.append({"problem": "/dev changed", "command": [], "exit": None, "seconds": 0,
                             "stderr": f"{p}: {dev_before.get(p)} -> {dev_after.get(p)}"})
            print(f"FINDING /dev changed: {p}: {dev_before.get(p)} -> {dev_after.get(p)}")
        # Default outputs derived from an argument (e.g. export's TRACE-csv) must stay inside the
        # scratch directory too: anything new next to it is a write outside the named paths.
        outside = sorted(n for n in set(os.listdir(parent)) - siblings_before if n.startswith(os.path.basename(scratch)))
        for n in outside:
            findings.append({"problem": "write outside the scratch directory", "command": [], "exit": None, "seconds": 0,
                             "stderr": os.path.join(parent, n)})
            print(f"FINDING write outside the scratch directory: {os.path.join(parent, n)}")
            shutil.rmtree(os.path.join(parent, n), ignore_errors=True)
        git_after = git_status()
        if git_before is not None and git_after != git_before:
            findings.append({"problem": "repository changed", "command": [], "exit": None, "seconds": 0,
                             "stderr": "git status differs after fuzzing"})
            print("FINDING the repository's git status changed during fuzzing")
        summary = {"seed": seed, "seconds": options.seconds, "execs": execs, "commands": len(grammar),
                   "exitStatuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
                   "devNodesChecked": len(dev_before), "findings": findings}
        if options.report:
            with open(options.report, "w") as f:
                json.dump(summary, f, indent=2)
        print(f"cli-fuzz: seed {seed}, {execs} executions over {len(grammar)} commands in {options.seconds:.0f} s, "
              f"exit statuses {summary['exitStatuses']}, {len(dev_before)} /dev nodes unchanged: "
              f"{'yes' if not changed else 'NO'}, {len(findings)} findings")
        return 1 if findings else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
