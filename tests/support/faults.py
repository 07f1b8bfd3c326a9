"""Helpers of the fault suite (tests/faults/): an acknowledged-write recorder and its
check, a console key-press probe, the CLI as a child process with a sandbox's flags, and
the quorum-guard refusal check.

Responsiveness (key press to handled) is measured and reported at the end of the run by
tests/faults/conftest.py, never asserted against a wall-clock bound (speed targets live in
benchmarks/)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

# scenario -> key-press latencies in ms
RESPONSIVENESS: dict[str, list[float]] = {}


def processes_mentioning(text: str) -> list[tuple[int, str]]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            continue
        cmd = raw.replace(b"\0", b" ").decode(errors="replace")
        if text in cmd:
            found.append((int(entry), cmd[:200]))
    return found


@dataclass
class WriteLog:
    """Every put the writer attempted, and which were acknowledged."""

    acked: dict[bytes, int] = field(default_factory=dict)  # key -> last acked seq
    attempted: dict[bytes, set[int]] = field(default_factory=dict)
    # puts that got no answer in time: their outcome is unknown, and etcd may still apply
    # them later (a proposal held by a starved or partitioned leader), after a newer put
    # to the same key was acknowledged
    indeterminate: dict[bytes, set[int]] = field(default_factory=dict)
    ok: int = 0
    failed: int = 0
    failures: dict[str, int] = field(default_factory=dict)


class AckWriter:
    """Bounded puts in a thread of its own (its own event loop and ClusterService):
    ``keys`` keys overwritten in turn with an increasing sequence number."""

    def __init__(self, sandbox: Sandbox, prefix: str, *, keys: int = 8, pause: float = 0.02):
        self.settings = sandbox.settings(timeout=1.0)
        self.prefix = prefix.encode()
        self.keys = keys
        self.pause = pause
        self.log = WriteLog()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def key(self, i: int) -> bytes:
        return self.prefix + b"/%02d" % i

    async def _run(self) -> None:
        # one client per endpoint, moving to the next after a failure (as etcd's own
        # client balancer does): a put never resends through another endpoint by itself
        services = [
            ClusterService(dataclasses.replace(self.settings, endpoints=(url,)))
            for url in self.settings.endpoints
        ]
        seq, at = 0, 0
        try:
            while not self._stop.is_set() and seq < 100_000:
                seq += 1
                key = self.key(seq % self.keys)
                self.log.attempted.setdefault(key, set()).add(seq)
                try:
                    await asyncio.wait_for(services[at].put(key, str(seq).encode()), 2.0)
                except (errors.EtcdtuiError, TimeoutError) as exc:
                    self.log.failed += 1
                    self.log.indeterminate.setdefault(key, set()).add(seq)
                    code = getattr(exc, "code", "timeout")
                    self.log.failures[code] = self.log.failures.get(code, 0) + 1
                    at = (at + 1) % len(services)
                    await asyncio.sleep(0.05)
                    continue
                self.log.acked[key] = seq
                self.log.ok += 1
                await asyncio.sleep(self.pause)
        finally:
            for svc in services:
                await svc.close()

    def __enter__(self) -> AckWriter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> WriteLog:
        self._stop.set()
        self._thread.join(timeout=15)
        assert not self._thread.is_alive(), "writer did not stop"
        return self.log

    def wait_acked(self, n: int, timeout: float = 20.0) -> None:
        start = self.log.ok
        deadline = time.monotonic() + timeout
        while self.log.ok < start + n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.log.ok >= start + n, f"writer got {self.log.ok - start} acks, wanted {n}"


def verify_acked(sandbox: Sandbox, log: WriteLog) -> int:
    """Every acknowledged key reads (linearizably) a value at least as new as its last
    acknowledged write, or one of an earlier put whose outcome was unknown (it may take
    effect at any time after it was sent), and one that was really attempted. Returns the
    keys checked."""

    async def go() -> dict[bytes, int]:
        out: dict[bytes, int] = {}
        async with ClusterService(sandbox.settings(timeout=3.0)) as svc:
            for key in log.acked:
                resp = await svc.get(key)
                assert resp.kvs, f"acknowledged key {key!r} is missing"
                out[key] = int(resp.kvs[0].value)
        return out

    got = asyncio.run(go()) if not _loop_running() else _in_thread(go)
    for key, last in log.acked.items():
        late = got[key] in log.indeterminate.get(key, set())
        assert got[key] >= last or late, f"{key!r}: read {got[key]}, last acknowledged {last}"
        assert got[key] in log.attempted[key], f"{key!r}: {got[key]} was never written"
    assert log.acked, "the writer got no acknowledgement at all"
    return len(log.acked)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _in_thread(fn: Callable[[], Any]) -> Any:
    box: list[Any] = []
    t = threading.Thread(target=lambda: box.append(asyncio.run(fn())))
    t.start()
    t.join(60)
    assert box, "verification did not finish"
    return box[0]


async def probe_keys(pilot: Any, app: Any, scenario: str, rounds: int = 2) -> list[float]:
    """Press keys that open and close the command line and the help screen; record
    how long each took to be handled (the screen changed)."""
    from benchmarks.harness import timed_key
    from etcdtui.ui.widgets.command_line import CommandLine

    samples: list[float] = []
    for _ in range(rounds):
        for key, char, check in (
            ("colon", ":", lambda: app.main.query_one(CommandLine).display),
            ("escape", None, lambda: not app.main.query_one(CommandLine).display),
            ("question_mark", "?", lambda: type(app.screen).__name__ == "HelpScreen"),
            ("escape", None, lambda: app.screen is app.main),
        ):
            samples.append(await timed_key(app, key, char, check))
            await pilot.pause(0.05)
    RESPONSIVENESS.setdefault(scenario, []).extend(samples)
    return samples


async def leader_name(sandbox: Sandbox) -> str | None:
    async with ClusterService(sandbox.settings(timeout=1.0)) as svc:
        reading = await svc.overview(with_health=False)
    if reading.leader is None or reading.members is None:
        return None
    m = reading.members.by_id(reading.leader)
    return m.name if m else None


# --- the faces the operator uses: the CLI, and the quorum guard behind it -------------------


def cli(sb: Sandbox, *args: str, timeout: float = 1.5) -> subprocess.CompletedProcess[str]:
    """``etcdtui`` with the sandbox's connection flags, as a child process (bounded)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "etcdtui",
            *conn_flags(sb.settings()),
            f"--timeout={timeout}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )


async def refuses_quorum_loss(sb: Sandbox, target: str) -> str:
    """``member remove TARGET --yes`` (a healthy voter) while the fault holds: refused by
    the quorum guard, with the reason, and the member list is unchanged. Returns the
    refusal's text."""
    before = await _member_ids(sb)
    proc = await asyncio.to_thread(cli, sb, "member", "remove", target, "--yes")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"removing {target} was not refused: {out}"
    assert "quorum" in out.lower(), out
    assert "Traceback" not in out, out
    assert await _member_ids(sb) == before, "a refused remove changed the member list"
    return out


async def _member_ids(sb: Sandbox) -> set[int]:
    async with ClusterService(sb.settings(timeout=3.0)) as svc:
        return {m.id for m in (await svc.members()).members}
