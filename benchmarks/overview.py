"""Start-up of `etcdtui status` against the etcdctl commands an operator runs for the
same picture (member list + endpoint status --cluster + endpoint health --cluster),
on the same 3- and 5-member sandbox, measured in the same run. Also with one member
paused, where etcdctl waits for its timeouts.

    python benchmarks/overview.py [--runs N] [--timeout S]
Target: ratio <= 1.0.
"""

from __future__ import annotations

import argparse

from benchmarks.common import etcdtui_cmd, report, temp_sandbox, time_commands
from benchmarks.results import Row, fmt
from etcdtui.services.binaries import find_binary


def measure(members: int, runs: int, timeout: float) -> None:
    measure_rows(members, runs, timeout, printing=True)


def measure_rows(members: int, runs: int, timeout: float, *, printing: bool = False) -> list[Row]:
    """``etcdtui status`` against the three etcdctl calls, healthy (target <= 1.0) and
    with one follower paused (target <= 0.4)."""
    rows: list[Row] = []

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
            )
        )

    sandbox = temp_sandbox(members)
    try:
        s = sandbox.settings()
        env = sandbox.etcdctl_env()
        conn = [
            f"--endpoints={','.join(s.endpoints)}",
            f"--cacert={s.cacert}",
            f"--cert={s.cert}",
            f"--key={s.key}",
            f"--timeout={timeout}",
        ]
        ours = [etcdtui_cmd(*conn, "status", "-o", "json")]
        ctl = str(find_binary("etcdctl"))
        flags = [f"--dial-timeout={timeout}s", f"--command-timeout={timeout}s"]
        theirs = [
            [ctl, *flags, "member", "list", "-w", "json"],
            [ctl, *flags, "endpoint", "status", "--cluster", "-w", "json"],
            [ctl, *flags, "endpoint", "health", "--cluster", "-w", "json"],
        ]
        add(
            f"{members} members, all healthy",
            time_commands(ours, env, runs),
            time_commands(theirs, env, runs),
            1.0,
        )
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--members", type=int, nargs="*", default=[3, 5])
    args = parser.parse_args()
    print("etcdtui status vs etcdctl member list + endpoint status + endpoint health")
    for n in args.members:
        measure(n, args.runs, args.timeout)


if __name__ == "__main__":
    main()
