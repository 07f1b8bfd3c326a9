"""Issue 13's constraint, measured: `etcdtui status` and the console's cold start at an
earlier git revision (before) and in the working tree (after), interleaved on one
3-member sandbox in the same run, both run as ``python -m etcdtui`` from a source tree
(the earlier revision from ``git archive``), so the install is the same for both.

    python -m benchmarks.before_after --compare REV [--runs 7]

The ratio is after / before; the etcdctl reference of the overview benchmark is printed
beside it for scale.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.harness import etcdtui_cmd, scratch_dir, temp_sandbox, time_commands
from benchmarks.results import fmt
from benchmarks.tui import Console, conn_flags, console_env, populated, source_tree
from etcdtui.services.binaries import find_binary


def status_once(argv: list[str], env: dict[str, str], cwd: Path | None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, timeout=60)
    return time.perf_counter() - start


def cold_start(argv: list[str], env: dict[str, str], cwd: Path | None) -> float:
    c = Console(argv, env, cwd)
    try:
        return c.wait_text(populated, timeout=30)
    finally:
        c.quit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", required=True, metavar="REV", help="git revision before")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    base = source_tree(args.compare)
    after_cwd = Path(__file__).resolve().parent.parent
    sandbox = temp_sandbox(3)
    try:
        flags = conn_flags(sandbox)
        status_env = console_env(scratch_dir("etcdtui-ba-"))
        status_argv = etcdtui_cmd("status", *flags)
        trees = {f"before ({args.compare})": base, "after": after_cwd}
        for cwd in trees.values():  # warm-up: bytecode caches, page cache
            status_once(status_argv, status_env, cwd)
        times: dict[str, list[float]] = {k: [] for k in trees}
        for _ in range(args.runs):
            for label, cwd in trees.items():
                times[label].append(status_once(status_argv, status_env, cwd))
        ctl = str(find_binary("etcdctl"))
        ref = time_commands(
            [
                [ctl, "member", "list"],
                [ctl, "endpoint", "status", "--cluster"],
                [ctl, "endpoint", "health", "--cluster"],
            ],
            sandbox.etcdctl_env(),
            args.runs,
        )
        med = {k: statistics.median(v) for k, v in times.items()}
        before, after = med.values()
        print(f"etcdtui status, 3 members (median of {args.runs}, interleaved)")
        for k, v in med.items():
            print(f"  {k:<24} {fmt(v, 's'):>10}   ({fmt(v / ref, 'x')} etcdctl x3 {fmt(ref, 's')})")
        print(f"  after / before           {after / before:.2f}")
        console_argv = etcdtui_cmd(*flags)
        starts: dict[str, list[float]] = {k: [] for k in trees}
        for cwd in trees.values():
            cold_start(console_argv, console_env(scratch_dir("etcdtui-ba-")), cwd)
        for _ in range(max(3, args.runs // 2)):
            for label, cwd in trees.items():
                env = console_env(scratch_dir("etcdtui-ba-"))
                starts[label].append(cold_start(console_argv, env, cwd))
        cold = {k: statistics.median(v) for k, v in starts.items()}
        before, after = cold.values()
        print("console cold start to a populated members table (median, interleaved)")
        for k, v in cold.items():
            runs = ", ".join(f"{x:.3f}" for x in starts[k])
            print(f"  {k:<24} {fmt(v, 's'):>10}   runs: {runs}")
        print(f"  after / before           {after / before:.2f}")
    finally:
        sandbox.down(purge=True)


if __name__ == "__main__":
    main()
