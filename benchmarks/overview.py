"""Start-up of `etcdtui status` against the etcdctl commands an operator runs for the
same picture (member list + endpoint status --cluster + endpoint health --cluster),
on the same 3- and 5-member sandbox, measured in the same run. Also with one member
paused, where etcdctl waits for its timeouts.

`etcdtui status` reads through etcd's gRPC-JSON gateway (docs/cli.md); for reference the
same command over gRPC (ETCDTUI_STATUS_TRANSPORT=grpc) and the bare python + grpc floor
(benchmarks/grpc_floor.py) are measured beside it.

    python -m benchmarks.overview [--runs N] [--timeout S] [--members 3 5] [--editable]

What runs is what a user installs: this tree built as a wheel and installed (not
editable) into a scratch venv, run as the ``etcdtui`` command
(:func:`benchmarks.harness.installed_etcdtui`). ``--editable`` measures the development
install instead (``python -m etcdtui``), whose import hook costs every start 15 ms or
more that a user's install does not pay.
Target: ratio <= 1.0.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import (
    etcdtui_cmd,
    installed_etcdtui,
    report,
    temp_sandbox,
    time_commands,
    user_env,
)
from benchmarks.results import Row, fmt
from etcdtui.services.binaries import find_binary


def measure(members: int, runs: int, timeout: float, *, editable: bool = False) -> None:
    measure_rows(members, runs, timeout, printing=True, editable=editable)


INSTALLED = "non-editable install (wheel of this tree in a scratch venv), the etcdtui command"
EDITABLE = "development install (pip install -e), python -m etcdtui"


def measure_rows(
    members: int, runs: int, timeout: float, *, printing: bool = False, editable: bool = False
) -> list[Row]:
    """``etcdtui status`` against the three etcdctl calls, healthy (target <= 1.0) and
    with one follower paused (target <= 0.4). etcdtui as a user installs it, unless
    ``editable``."""
    rows: list[Row] = []
    how = EDITABLE if editable else INSTALLED
    command = etcdtui_cmd() if editable else [str(installed_etcdtui())]
    if printing:
        print(f"etcdtui measured as: {how}")

    def add(label: str, ours: float, theirs: float, target: float) -> None:
        if printing:
            report(label, ours, theirs, target=target)
        ratio = ours / theirs
        rows.append(
            Row(
                "overview",
                f"etcdtui status, {label}",
                fmt(ours, "s"),
                f"3 etcdctl calls {fmt(theirs, 's')}",
                ratio,
                f"≤ {target}",
                ratio <= target,
                how,
            )
        )

    sandbox = temp_sandbox(members)
    try:
        s = sandbox.settings()
        # `etcdtui status` as an operator runs it: the default transport
        env = {k: v for k, v in sandbox.etcdctl_env().items() if k != "ETCDTUI_STATUS_TRANSPORT"}
        conn = [
            f"--endpoints={','.join(s.endpoints)}",
            f"--cacert={s.cacert}",
            f"--cert={s.cert}",
            f"--key={s.key}",
            f"--timeout={timeout}",
        ]
        ours = [[*command, *conn, "status", "-o", "json"]]
        ctl = str(find_binary("etcdctl"))
        flags = [f"--dial-timeout={timeout}s", f"--command-timeout={timeout}s"]
        theirs = [
            [ctl, *flags, "member", "list", "-w", "json"],
            [ctl, *flags, "endpoint", "status", "--cluster", "-w", "json"],
            [ctl, *flags, "endpoint", "health", "--cluster", "-w", "json"],
        ]
        floor = [
            [
                sys.executable if editable else str(Path(command[0]).with_name("python")),
                str(Path(__file__).with_name("grpc_floor.py")),
                *conn[:4],
                f"--timeout={timeout}",
            ]
        ]
        over_grpc = [["env", "ETCDTUI_STATUS_TRANSPORT=grpc", *ours[0]]]
        ours_s, theirs_s, floor_s, grpc_s = interleaved([ours, theirs, floor, over_grpc], env, runs)
        add(f"{members} members, all healthy", ours_s, theirs_s, 1.0)
        rows.append(
            Row(
                "overview",
                f"etcdtui status over gRPC, {members} members (ETCDTUI_STATUS_TRANSPORT=grpc)",
                fmt(grpc_s, "s"),
                f"3 etcdctl calls {fmt(theirs_s, 's')}",
                grpc_s / theirs_s,
                "",
                None,
                f"the gateway path is {ours_s / grpc_s:.2f}x this",
            )
        )
        if printing:
            report(f"status over gRPC, {members} members", grpc_s, theirs_s)
        floor_ratio = floor_s / theirs_s
        rows.append(
            Row(
                "overview",
                f"python + grpc floor, {members} members (same requests, no etcdtui code)",
                fmt(floor_s, "s"),
                f"3 etcdctl calls {fmt(theirs_s, 's')}",
                floor_ratio,
                "",
                None,
                f"etcdtui status is {ours_s / floor_s:.2f}x this floor",
            )
        )
        if printing:
            report(f"grpc floor, {members} members", floor_s, theirs_s)
        assert sandbox.state is not None
        follower = next(m.name for m in sandbox.state.members if m.name != "m1")
        sandbox.pause(follower)
        try:
            add(
                f"{members} members, {follower} paused (SIGSTOP)",
                time_commands(ours, env, max(1, runs // 2)),
                time_commands(theirs, env, max(1, runs // 2)),
                0.4,
            )
        finally:
            sandbox.resume(follower)
    finally:
        sandbox.down(purge=True)
    return rows


def interleaved(groups: list[list[list[str]]], env: dict[str, str], runs: int) -> list[float]:
    """Median wall time of each group of commands (run one after the other), the groups
    taking turns round by round after one untimed warm-up each: a change of load during
    the run hits every group alike."""
    env = user_env(env)

    def once(cmds: list[list[str]]) -> float:
        start = time.perf_counter()
        for cmd in cmds:
            subprocess.run(cmd, env=env, capture_output=True, check=False, timeout=120)
        return time.perf_counter() - start

    for cmds in groups:
        once(cmds)
    samples: list[list[float]] = [[] for _ in groups]
    for _ in range(runs):
        for i, cmds in enumerate(groups):
            samples[i].append(once(cmds))
    return [statistics.median(s) for s in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--members", type=int, nargs="*", default=[3, 5])
    parser.add_argument(
        "--editable", action="store_true", help="measure the development install instead"
    )
    args = parser.parse_args()
    print("etcdtui status vs etcdctl member list + endpoint status + endpoint health")
    for n in args.members:
        measure(n, args.runs, args.timeout, editable=args.editable)


if __name__ == "__main__":
    main()
