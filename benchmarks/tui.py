"""Console benchmarks on a 3-member sandbox, in a real pseudo-terminal (120x40):

1. cold start: process start to the first frame with every member row populated
   (target < 1 s), beside the etcdctl commands that give the same overview;
2. bytes written to the terminal per second while idle at the default 2 s refresh, on
   pane 1 (where the console starts) and pane 2 (the signal sparklines) (target
   <= 600 B/s, for slow SSH links);
3. RSS of the console process after N minutes of polling.

    python -m benchmarks.tui [--idle-seconds 30] [--minutes 10] [--runs 3]
    python -m benchmarks.tui --compare REV [--idle-seconds 30] [--rounds 2]

``--compare REV`` measures the idle output of the console at git revision REV (before)
and of the working tree (after) on both panes, interleaved on one sandbox in one run.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import termios
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.harness import etcdtui_cmd, scratch_dir, temp_sandbox, time_commands, user_env
from benchmarks.results import Row, fmt
from etcdtui.services.binaries import find_binary
from etcdtui.services.sandbox import Sandbox

_ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>PX^_\\]")


class Console:
    """etcdtui running in a pty of 120x40; reads everything it writes."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.start = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # child
            if cwd is not None:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, env)  # noqa: S606
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.raw = bytearray()

    def chunks(self, seconds: float, poll: float | None = None) -> Iterator[tuple[bytes, float]]:
        """Each chunk the console writes within ``seconds``, with the time it arrived
        (the one pty reader every measure uses). Stops early at end of output."""
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            ready, _w, _x = select.select(
                [self.fd], [], [], left if poll is None else min(left, poll)
            )
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            yield chunk, time.perf_counter()

    def read_for(self, seconds: float) -> int:
        """Drain output for ``seconds``; returns the bytes read."""
        n = 0
        for chunk, _at in self.chunks(seconds):
            n += len(chunk)
            self.raw += chunk
        return n

    def wait_text(self, pred: object, timeout: float) -> float:
        """Seconds from the start until the output read so far satisfies ``pred``, taken
        when the chunk that satisfied it arrived: checked after every chunk, not after a
        fixed read window (a 20 ms window rounded every time up to a multiple of it)."""
        for chunk, arrived in self.chunks(timeout, poll=0.05):
            self.raw += chunk
            text = _ANSI.sub(b"", bytes(self.raw)).decode("utf-8", "replace")
            if pred(text):  # type: ignore[operator]
                return arrived - self.start
        raise TimeoutError("the console never showed the populated members table")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def quit(self) -> None:
        try:
            os.write(self.fd, b"q")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                self.read_for(0.1)
                done, _status = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    return
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)


def populated(text: str) -> bool:
    return text.count("✔ healthy") >= 3 and "★ leader" in text


def console_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(
        TERM="xterm-256color",
        ETCDTUI_STATE_DIR=str(tmp / "state"),
        ETCDTUI_CONFIG_DIR=str(tmp / "config"),
    )
    return user_env(env)


def conn_flags(sandbox: Sandbox) -> list[str]:
    s = sandbox.settings()
    return [
        f"--endpoints={','.join(s.endpoints)}",
        f"--cacert={s.cacert}",
        f"--cert={s.cert}",
        f"--key={s.key}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts to take the median of")
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--minutes", type=float, default=10.0, help="polling time before RSS")
    args = parser.parse_args()
    tmp = scratch_dir("etcdtui-tui-bench-")
    sandbox = temp_sandbox(3)
    try:
        env = console_env(tmp)
        argv = etcdtui_cmd(*conn_flags(sandbox))
        starts = []
        for _ in range(args.runs):
            c = Console(argv, env)
            try:
                starts.append(c.wait_text(populated, timeout=30))
            finally:
                c.quit()
        ctl = str(find_binary("etcdctl"))
        overview = time_commands(
            [
                [ctl, "member", "list", "-w", "table"],
                [ctl, "endpoint", "status", "--cluster", "-w", "table"],
                [ctl, "endpoint", "health", "--cluster", "-w", "table"],
            ],
            sandbox.etcdctl_env(),
            args.runs,
        )
        cold = statistics.median(starts)
        print(
            f"cold start to populated members table   {cold * 1000:8.1f} ms"
            f"   (etcdctl member list + endpoint status + health: {overview * 1000:.1f} ms)"
            f"   {'OK' if cold < 1.0 else 'ABOVE TARGET 1 s'}"
        )
        c = Console(argv, env)
        try:
            c.wait_text(populated, timeout=30)
            c.read_for(3.0)  # let the first refreshes settle
            rss0 = c.rss_kib()
            n = c.read_for(args.idle_seconds)
            rate = n / args.idle_seconds
            print(
                f"idle output at the default 2 s refresh   {rate:8.1f} B/s over "
                f"{args.idle_seconds:.0f} s   {'OK' if rate <= 600 else 'ABOVE TARGET 600 B/s'}"
            )
            remaining = max(0.0, args.minutes * 60 - args.idle_seconds)
            c.read_for(remaining)
            print(
                f"RSS after {args.minutes:g} min of polling          "
                f"{c.rss_kib() / 1024:8.1f} MiB   (after start: {rss0 / 1024:.1f} MiB)"
            )
        finally:
            c.quit()
    finally:
        sandbox.down(purge=True)


_MOVE = re.compile(rb"\x1b\[(\d+);\d+H")


def _rows(data: bytes) -> set[int]:
    return {int(r) for r in _MOVE.findall(data)}


def key_rows(c: Console) -> set[int]:
    """The screen rows a down/up arrow redraws (the members table's cursor rows), less
    the rows the idle refresh writes: learned while every member answers."""
    c.raw.clear()
    c.read_for(4.0)
    periodic = _rows(bytes(c.raw))
    touched: set[int] = set()
    for key in (b"\x1b[B", b"\x1b[A") * 2:
        c.raw.clear()
        os.write(c.fd, key)
        c.read_for(0.5)
        touched |= _rows(bytes(c.raw))
    return touched - periodic


def key_latencies(c: Console, rows: set[int], presses: int, timeout: float = 2.0) -> list[float]:
    """Seconds from writing a key (down/up arrow in turn, so the members table's cursor
    moves) to the first output that redraws one of ``rows``; a key with no answer
    counts as ``timeout``."""
    out = []
    for i in range(presses):
        c.read_for(0.05)  # drain what came after the last answer
        os.write(c.fd, b"\x1b[B" if i % 2 == 0 else b"\x1b[A")
        start = time.perf_counter()
        got = None
        for chunk, arrived in c.chunks(timeout):
            if _rows(chunk) & rows:
                got = arrived - start
                break
        out.append(got if got is not None else timeout)
    return out


def measure_rows(runs: int, idle_seconds: float, presses: int = 200) -> list[Row]:
    """Cold start (target <= 0.8 s) and idle output at the 2 s refresh against htop at a
    2 s delay in the same kind of pty (target <= 600 B/s and <= 2x htop)."""
    import shutil

    rows: list[Row] = []
    tmp = scratch_dir("etcdtui-tui-bench-")
    sandbox = temp_sandbox(3)
    try:
        env = console_env(tmp)
        argv = etcdtui_cmd(*conn_flags(sandbox))
        starts = []
        for _ in range(runs):
            c = Console(argv, env)
            try:
                starts.append(c.wait_text(populated, timeout=30))
            finally:
                c.quit()
        cold = statistics.median(starts)
        rows.append(
            Row(
                "console",
                "cold start to a populated members table",
                fmt(cold, "s"),
                "target 0.8 s",
                cold / 0.8,
                "≤ 0.8 s",
                cold <= 0.8,
            )
        )
        c = Console(argv, env)
        try:
            c.wait_text(populated, timeout=30)
            c.read_for(3.0)  # let the first refreshes settle
            rate = c.read_for(idle_seconds) / idle_seconds
            assert sandbox.state is not None
            follower = next(m.name for m in sandbox.state.members if m.name != "m1")
            rows_moved = key_rows(c)
            sandbox.pause(follower)
            try:
                c.read_for(3.0)  # the console notices the hung member
                lat = sorted(key_latencies(c, rows_moved, presses))
            finally:
                sandbox.resume(follower)
        finally:
            c.quit()
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        rows.append(
            Row(
                "console",
                f"key press to handled, p99 of {presses}, {follower} SIGSTOPped",
                fmt(p99, "s"),
                f"median {fmt(statistics.median(lat), 's')}",
                None,
                "≤ 50 ms",
                p99 <= 0.05,
            )
        )
        htop = shutil.which("htop")
        ref = None
        if htop is not None:
            h = Console([htop, "-d", "20"], env)
            try:
                h.read_for(3.0)
                ref = h.read_for(idle_seconds) / idle_seconds
            finally:
                h.quit()
        rate2 = idle_rate(argv, env, idle_seconds, IDLE_PANES["pane 2 (health)"])
        for label, value in (("", rate), (", pane 2 (signal sparklines)", rate2)):
            rows.append(
                Row(
                    "console",
                    f"idle output at the 2 s refresh{label}",
                    fmt(value, "B/s"),
                    f"htop -d 20 {fmt(ref, 'B/s')}" if ref is not None else "htop not installed",
                    value / ref if ref else None,
                    "≤ 600 B/s and ≤ 2× htop",
                    value <= 600 and (ref is None or value <= 2 * ref),
                )
            )
    finally:
        sandbox.down(purge=True)
    return rows


# Pane 1 is where the console starts; pane 2 carries the per-member metric sparklines.
IDLE_PANES: dict[str, bytes] = {"pane 1 (members)": b"", "pane 2 (health)": b"2"}
SETTLE_S = 12.0  # two metrics scrapes (every 5 s) and the first refreshes before measuring


def idle_rate(
    argv: list[str], env: dict[str, str], seconds: float, key: bytes = b"", cwd: Path | None = None
) -> float:
    """Bytes per second the console writes while idle on the pane ``key`` shows."""
    c = Console(argv, env, cwd)
    try:
        c.wait_text(populated, timeout=30)
        if key:
            os.write(c.fd, key)
        c.read_for(SETTLE_S)
        return c.read_for(seconds) / seconds
    finally:
        c.quit()


def source_tree(rev: str) -> Path:
    """The etcdtui package as it was at git revision ``rev``, in a scratch directory: run
    from there, ``python -m etcdtui`` imports that copy (the current directory comes first
    on sys.path)."""
    import subprocess
    import tarfile

    root = scratch_dir("etcdtui-bench-rev-")
    repo = Path(__file__).resolve().parent.parent
    archive = root / "src.tar"
    with archive.open("wb") as f:
        subprocess.run(["git", "archive", rev, "etcdtui"], cwd=repo, stdout=f, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    archive.unlink()
    return root


def compare_idle(rev: str, seconds: float, rounds: int) -> list[Row]:
    """Idle output of the console at ``rev`` (before) and of the working tree (after) on
    each pane, in interleaved rounds on one sandbox, with htop in the same kind of pty."""
    import shutil

    base = source_tree(rev)
    tmp = scratch_dir("etcdtui-tui-bench-")
    sandbox = temp_sandbox(3)
    rows: list[Row] = []
    try:
        env = console_env(tmp)
        argv = etcdtui_cmd(*conn_flags(sandbox))
        rates: dict[tuple[str, str], list[float]] = {}
        for _ in range(rounds):
            for pane, key in IDLE_PANES.items():
                for label, cwd in ((f"before ({rev})", base), ("after", None)):
                    rate = idle_rate(argv, env, seconds, key, cwd)
                    rates.setdefault((pane, label), []).append(rate)
                    print(f"  {pane:<18} {label:<20} {rate:8.1f} B/s", flush=True)
        htop = shutil.which("htop")
        ref = None
        if htop is not None:
            h = Console([htop, "-d", "20"], env)
            try:
                h.read_for(3.0)
                ref = h.read_for(seconds) / seconds
            finally:
                h.quit()
        for (pane, label), values in rates.items():
            rate = statistics.median(values)
            rows.append(
                Row(
                    "console",
                    f"idle output at the 2 s refresh, {pane}, {label}",
                    fmt(rate, "B/s"),
                    f"htop -d 20 {fmt(ref, 'B/s')}" if ref is not None else "htop not installed",
                    rate / ref if ref else None,
                    "≤ 600 B/s",
                    rate <= 600,
                    f"median of {len(values)}: " + ", ".join(f"{v:.0f}" for v in values),
                )
            )
    finally:
        sandbox.down(purge=True)
    return rows


def compare_main() -> None:
    parser = argparse.ArgumentParser(description="idle output before/after, in one run")
    parser.add_argument("--compare", required=True, metavar="REV", help="git revision before")
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from benchmarks.results import Results

    res = Results()
    for row in compare_idle(args.compare, args.idle_seconds, args.rounds):
        res.add(row)


if __name__ == "__main__":
    import sys

    compare_main() if "--compare" in sys.argv else main()
