"""Console start-up in instructions, not milliseconds: callgrind's count from process
start to the console's first frame of the members table, for an earlier git revision
(before) and the working tree (after), both run as ``python -m etcdtui`` from a source
tree on one 3-member sandbox. Wall time on a shared machine varies by several per cent
from run to run; the instruction count varies by well under one, so a start-up change of
a few per cent shows here when before_after.py cannot tell it from noise.

    python -m benchmarks.startup_instructions --compare REV [--runs 1]

Needs valgrind. The first frame (the table's header, drawn before any poll answers)
is where the count stops, not the populated table: under callgrind the process runs
some 50 times slower, and the polls' deadlines and the refresh timers would decide
what gets counted. Both trees read the same config file (a 600 s refresh, so no second
poll round starts) and run through benchmarks/first_frame_driver.py.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

from benchmarks.harness import scratch_dir, temp_sandbox
from benchmarks.tui import Console, conn_flags, console_env, source_tree

DRIVER = Path(__file__).with_name("first_frame_driver.py")
_TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)


def run_once(cwd: Path, args: list[str], env: dict[str, str], out: Path | None) -> float:
    """One start to the first frame; under callgrind when ``out`` is given. Seconds."""
    argv = [sys.executable, str(DRIVER), *args]
    if out is not None:
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv]
    c = Console(argv, env, cwd)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            c.read_for(0.2)
            done, status = os.waitpid(c.pid, os.WNOHANG)
            if done:
                if status != 0:
                    raise RuntimeError(f"the console in {cwd} exited with status {status}")
                return time.perf_counter() - c.start
        raise TimeoutError(f"the console in {cwd} never drew its first frame")
    finally:
        os.close(c.fd)


def instructions(path: Path) -> int:
    m = _TOTALS.search(path.read_text(errors="replace"))
    if m is None:
        raise RuntimeError(f"no totals line in {path}")
    return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", required=True, metavar="REV", help="git revision before")
    ap.add_argument("--runs", type=int, default=1, help="callgrind runs per tree")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    trees = {
        f"before ({args.compare})": source_tree(args.compare),
        "after": Path(__file__).resolve().parent.parent,
    }
    work = scratch_dir("etcdtui-instr-")
    config = work / "config.yaml"
    config.write_text("ui:\n  refresh-interval: 600\n")
    config.chmod(0o600)
    sandbox = temp_sandbox(3)
    try:
        flags = [f"--config={config}", *conn_flags(sandbox)]
        env = console_env(work)
        for cwd in trees.values():  # bytecode caches: compiling is not start-up
            run_once(cwd, flags, env, None)
        counts: dict[str, list[int]] = {k: [] for k in trees}
        for i in range(args.runs):
            for label, cwd in trees.items():
                out = work / f"callgrind.{len(counts[label])}.{i}.{label.split()[0]}"
                run_once(cwd, flags, env, out)
                counts[label].append(instructions(out))
        med = {k: statistics.median(v) for k, v in counts.items()}
        print(f"console start to its first members frame, instructions ({args.runs} run(s))")
        for k, v in med.items():
            runs = ", ".join(f"{x / 1e6:.1f}" for x in counts[k])
            print(f"  {k:<24} {v / 1e6:10.1f} M   runs: {runs}")
        before, after = med.values()
        print(f"  after / before           {after / before:.3f}")
    finally:
        sandbox.down(purge=True)


if __name__ == "__main__":
    main()
