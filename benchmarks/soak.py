"""Soak: a headless console and a writer on a 3-member sandbox while faults come and go.

    python -m benchmarks.soak [--seconds 300] [--seed N] [--fault-every 4]

* the console (headless, in this process) polls the sandbox every second; every half
  second a key press (open and close the command line) is timed from press to handled;
* a writer process runs three clients, each on its own endpoint and moving on after a
  failure, doing bounded puts and linearizable gets on a few keys, plus puts of keys
  written once; it records every operation with its start, end and outcome;
* a fault injector process draws a random fault every few seconds, one at a time, always
  recovered before the next:
  kill/start, pause/resume, partition (drop, blackhole, delay)/heal, starve/heal, leader
  move. The seed is printed; the same seed gives the same fault sequence.

It reports crashes (console, writer, members that died unasked), acknowledged writes
lost, linearizability violations of the single-key history (a small checker: reads of
values never written, reads from the future, stale reads, non-monotonic reads), the max
and p99 key-press latency, RSS growth of the console process, and the faults injected.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import dataclasses
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.harness import timed_key
from etcdtui import errors
from etcdtui.services import sandbox_faults
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.console_service import ConsoleService

KEYS = 4
ONCE_PREFIX = b"/soak/once/"
REG_PREFIX = b"/soak/reg/"

# --- the writer (a process of its own) ------------------------------------------------------


async def _client(
    n: int, sb: Sandbox, until: float, out: list[dict[str, Any]], stop: threading.Event
) -> None:
    base = sb.settings(timeout=1.0)
    urls = list(base.endpoints)
    services = [ClusterService(dataclasses.replace(base, endpoints=(u,))) for u in urls]
    at, seq = n % len(urls), 0
    rnd = random.Random(n)
    try:
        while time.monotonic() < until and not stop.is_set() and seq < 1_000_000:
            seq += 1
            svc = services[at]
            roll = rnd.random()
            start = time.monotonic()
            op: dict[str, Any]
            try:
                if roll < 0.2:
                    key = ONCE_PREFIX + f"{n}-{seq}".encode()
                    op = {"op": "once", "key": key.decode(), "value": f"{n}-{seq}"}
                    await asyncio.wait_for(svc.put(key, op["value"].encode()), 2.0)
                elif roll < 0.65:
                    key = REG_PREFIX + str(rnd.randrange(KEYS)).encode()
                    op = {"op": "put", "key": key.decode(), "value": f"{n}-{seq}"}
                    await asyncio.wait_for(svc.put(key, op["value"].encode()), 2.0)
                else:
                    key = REG_PREFIX + str(rnd.randrange(KEYS)).encode()
                    op = {"op": "get", "key": key.decode()}
                    resp = await asyncio.wait_for(svc.get(key), 2.0)
                    op["value"] = resp.kvs[0].value.decode() if resp.kvs else None
                op["ok"] = True
            except (errors.EtcdtuiError, TimeoutError) as exc:
                op["ok"] = False  # a put's outcome is unknown: it may have committed
                op["error"] = getattr(exc, "code", "timeout")
                at = (at + 1) % len(urls)
                await asyncio.sleep(0.05)
            op.update(start=start, end=time.monotonic(), client=n)
            out.append(op)
            await asyncio.sleep(0.01)
    finally:
        for svc in services:
            await svc.close()


def writer_main(directory: str, history: str, seconds: float) -> int:
    sb = Sandbox(Path(directory))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ops: list[dict[str, Any]] = []
    until = time.monotonic() + seconds

    async def run() -> None:
        await asyncio.gather(*(_client(n, sb, until, ops, stop) for n in range(3)))

    asyncio.run(run())
    tmp = history + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        for op in ops:
            f.write(json.dumps(op) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, history)
    return 0


# --- the checker ----------------------------------------------------------------------------


def check_history(ops: list[dict[str, Any]], final: dict[str, str | None]) -> dict[str, Any]:
    """Violations of linearizability for single-key registers with unique values."""
    violations: list[str] = []
    by_key: dict[str, list[dict[str, Any]]] = {}
    for op in ops:
        if op["op"] in ("put", "get"):
            by_key.setdefault(op["key"], []).append(op)
    end_t = max((op["end"] for op in ops), default=0.0) + 1.0
    for key, value in final.items():  # the read after recovery, by a last client
        by_key.setdefault(key, []).append(
            {"op": "get", "key": key, "value": value, "ok": True, "start": end_t, "end": end_t}
        )
    lost = 0
    for key, kops in by_key.items():
        writes = {op["value"]: op for op in kops if op["op"] == "put"}
        acked = sorted((w for w in writes.values() if w["ok"]), key=lambda w: w["end"])
        ends = [w["end"] for w in acked]
        max_start: list[float] = []
        for w in acked:
            max_start.append(max(max_start[-1], w["start"]) if max_start else w["start"])
        reads = [op for op in kops if op["op"] == "get" and op["ok"]]

        spans = []
        for r in reads:
            o = _origin(r, writes)
            if o is None:
                violations.append(f"{key}: read {r['value']!r}, never written")
                continue
            if o[0] > r["end"]:
                violations.append(f"{key}: read {r['value']!r} before its write began")
            # the newest acked write that certainly finished before the read began
            i = bisect.bisect_left(ends, r["start"])
            if i and max_start[i - 1] > o[1]:
                kind = "lost acknowledged write" if r["start"] == end_t else "stale read"
                violations.append(f"{key}: {kind}: read {r['value']!r}")
                if r["start"] == end_t:
                    lost += 1
            spans.append((r, o))
        # monotonic reads: a later read never returns a certainly older write
        spans.sort(key=lambda x: x[0]["end"])
        r_ends = [r["end"] for r, _o in spans]
        newest: list[float] = []
        for _r, o in spans:
            newest.append(max(newest[-1], o[0]) if newest else o[0])
        for r, o in spans:
            i = bisect.bisect_left(r_ends, r["start"])
            if i and newest[i - 1] > o[1]:
                violations.append(f"{key}: non-monotonic read {r['value']!r}")
    return {"violations": violations, "lost_registers": lost}


def _origin(r: dict[str, Any], writes: dict[str, dict[str, Any]]) -> tuple[float, float] | None:
    """(start, end) of the write a read returned; the initial empty value is oldest."""
    if r["value"] is None:
        return (float("-inf"), float("-inf"))
    w = writes.get(r["value"])
    if w is None:
        return None
    # a put that failed or timed out may still commit at any later time (a request
    # held by a paused member or a delaying proxy): its end is open
    return (w["start"], w["end"] if w["ok"] else float("inf"))


# --- the run ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Faults:
    sb: Sandbox
    rnd: random.Random
    injected: Counter[str] = dataclasses.field(default_factory=Counter)
    errors: list[str] = dataclasses.field(default_factory=list)
    asked_down: set[str] = dataclasses.field(default_factory=set)

    def names(self) -> list[str]:
        assert self.sb.state is not None
        return [m.name for m in self.sb.state.members if not m.removed]

    def one(self) -> None:
        kind = self.rnd.choice(["kill", "pause", "partition", "starve", "move-leader"])
        victim = self.rnd.choice(self.names())
        hold = self.rnd.uniform(1.0, 3.0)
        sb = self.sb
        try:
            if kind == "kill":
                self.asked_down.add(victim)
                sb.kill(victim)
                time.sleep(hold)
                sb.start(victim, wait=60)
                self.asked_down.discard(victim)
            elif kind == "pause":
                sb.pause(victim)
                time.sleep(hold)
                sb.resume(victim)
            elif kind == "partition":
                mode = self.rnd.choice(["drop", "blackhole", f"delay={self.rnd.randint(50, 400)}"])
                kind = f"partition {mode.split('=')[0]}"
                sandbox_faults.partition(sb, victim, mode=mode)
                time.sleep(hold)
                sandbox_faults.heal(sb, victim)
            elif kind == "starve":
                sandbox_faults.starve(sb, victim, duty=self.rnd.choice([0.5, 0.7]), seconds=30)
                time.sleep(hold + 1.0)
                sandbox_faults.heal(sb, victim)
            else:
                asyncio.run(self._move_leader())
            self.injected[kind] += 1
        except errors.EtcdtuiError as exc:
            self.errors.append(f"{kind} {victim}: {exc}")
            sandbox_faults.heal(sb)
            for m in sb.state.members if sb.state else ():
                if not m.removed and not sb.is_running(m):
                    sb.start(m.name, wait=60)
                elif sb.is_paused(m):
                    sb.resume(m.name)

    async def _move_leader(self) -> None:
        async with ClusterService(self.sb.settings(timeout=2.0)) as svc:
            reading = await svc.overview(with_health=False)
            if reading.members is None or reading.leader is None:
                raise errors.NoLeader("no leader to move")
            others = [m.id for m in reading.members.members if m.id != reading.leader]
            await svc.move_leader(self.rnd.choice(others))


def injector_main(directory: str, seed: int, seconds: float, every: float, report: str) -> int:
    """The fault injector, a process of its own (its cluster calls never share the
    console's event loop). Writes what it did to ``report`` as JSON."""
    sb = Sandbox(Path(directory))
    faults = Faults(sb, random.Random(seed))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    end = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < end:
        if stop.wait(faults.rnd.uniform(0.5 * every, 1.5 * every)):
            break
        if time.monotonic() < end:
            faults.one()
    tmp = report + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(
            {
                "injected": dict(faults.injected),
                "errors": faults.errors,
                "asked_down": sorted(faults.asked_down),
            },
            f,
        )
    os.replace(tmp, report)
    return 0


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.soak", *args], start_new_session=True
    )


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


async def console(sb: Sandbox, seconds: float, tmp: Path, crashes: list[str]) -> dict[str, Any]:
    """The headless console for ``seconds``: key-press latencies and RSS."""
    from etcdtui.services.audit import AuditLog
    from etcdtui.ui.app import EtcdtuiApp
    from etcdtui.ui.widgets.command_line import CommandLine

    audit = AuditLog(tmp / "audit.jsonl")
    app = EtcdtuiApp(
        sb.settings(),
        service_factory=lambda s: ConsoleService(s, audit=audit),
        refresh_interval=1.0,
        audit_log=audit,
        theme_dirs=[],
    )
    latencies: list[float] = []
    rss0 = rss1 = rss_kib()
    try:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            for _ in range(300):
                if app.state.members is not None:
                    break
                await pilot.pause(0.1)
            rss0 = rss_kib()
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                if not app.is_running:
                    crashes.append("console exited")
                    break
                for key, char, want in (("colon", ":", True), ("escape", None, False)):
                    latencies.append(
                        await timed_key(
                            app,
                            key,
                            char,
                            lambda w=want: app.main.query_one(CommandLine).display is w,
                        )
                    )
                    await pilot.pause(0.05)
                await pilot.pause(0.5)
            rss1 = rss_kib()
    except Exception as exc:  # the console itself failed: that is a crash to report
        crashes.append(f"console: {type(exc).__name__}: {exc}")
    return {"latencies": latencies, "rss0": rss0, "rss1": rss1}


def soak(
    sb: Sandbox, seconds: float, seed: int, every: float, tmp: Path, out: Path | None = None
) -> int:
    history, faults_report = tmp / "history.jsonl", tmp / "faults.json"
    writer = _spawn("--writer", str(sb.dir), "--history", str(history), "--seconds", f"{seconds}")
    injector = _spawn(
        "--injector",
        str(sb.dir),
        "--seed",
        str(seed),
        "--seconds",
        f"{seconds}",
        "--fault-every",
        f"{every}",
        "--history",
        str(faults_report),
    )
    crashes: list[str] = []
    try:
        measured = asyncio.run(console(sb, seconds, tmp, crashes))
    finally:
        rc_inj = _wait(injector, 120)
        rc_writer = _wait(writer, 120)
    if rc_inj != 0:
        crashes.append(f"fault injector exited {rc_inj}")
    if rc_writer != 0:
        crashes.append(f"writer exited {rc_writer}")
    done = json.loads(faults_report.read_text()) if faults_report.exists() else {}
    injected: dict[str, int] = done.get("injected", {})
    asked_down = set(done.get("asked_down", []))
    # recovery: every fault healed, every member up and healthy
    sb.state = sb._load()  # the injector changed it
    sandbox_faults.heal(sb)
    for m in sb.state.members if sb.state else ():
        if not m.removed and not sb.is_running(m):
            if m.name not in asked_down:
                crashes.append(f"member {m.name} died unasked")
            sb.start(m.name, wait=60)
        elif sb.is_paused(m):
            sb.resume(m.name)
    sb.wait_healthy(timeout=60)
    ops = (
        [json.loads(line) for line in history.read_text().splitlines()] if history.exists() else []
    )

    async def final_reads() -> tuple[dict[str, str | None], set[str]]:
        async with ClusterService(sb.settings(timeout=5.0)) as svc:
            final: dict[str, str | None] = {}
            for i in range(KEYS):
                key = REG_PREFIX + str(i).encode()
                resp = await svc.get(key)
                final[key.decode()] = resp.kvs[0].value.decode() if resp.kvs else None
            once = await svc.get(ONCE_PREFIX, ONCE_PREFIX[:-1] + b"0", keys_only=True)
            return final, {kv.key.decode() for kv in once.kvs}

    final, once_keys = asyncio.run(final_reads())
    acked_once = [op["key"] for op in ops if op["op"] == "once" and op["ok"]]
    lost_once = [k for k in acked_once if k not in once_keys]
    result = check_history(ops, final)
    acked = sum(1 for op in ops if op["op"] in ("put", "once") and op["ok"])
    reads = sum(1 for op in ops if op["op"] == "get" and op["ok"])
    failed = sum(1 for op in ops if not op["ok"])
    latencies = measured["latencies"]
    rss0, rss1 = measured["rss0"], measured["rss1"]
    lines: list[str] = []

    def say(text: str) -> None:
        print(text)
        lines.append(text)

    say(f"seed                       {seed}")
    say(f"duration                   {seconds:.0f} s, a fault every ~{every:g} s")
    say(
        f"faults injected            {sum(injected.values())} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(injected.items()))})"
    )
    if done.get("errors"):
        say(f"fault verbs that failed    {len(done['errors'])}: {done['errors'][:3]}")
    say(f"crashes                    {len(crashes)} {crashes if crashes else ''}")
    say(
        f"writes acknowledged        {acked} (+{reads} linearizable reads, "
        f"{failed} operations failed or timed out)"
    )
    lost = len(lost_once) + result["lost_registers"]
    say(f"acknowledged writes lost   {lost}")
    say(f"linearizability violations {len(result['violations'])} {result['violations'][:5]}")
    say(
        f"key press to handled       max {max(latencies, default=0):.1f} ms, "
        f"p99 {pct(latencies, 99):.1f} ms, median {pct(latencies, 50):.1f} ms "
        f"(n={len(latencies)})"
    )
    say(f"RSS growth (console)       {(rss1 - rss0) / 1024:+.1f} MiB (from {rss0 / 1024:.1f} MiB)")
    if out is not None:
        write_record(out, lines)
    return 0 if not crashes and not lost and not result["violations"] else 1


def write_record(out: Path, lines: list[str]) -> None:
    """The report as a Markdown page beside RESULTS.md, with when and on what it ran."""
    import platform

    load = os.getloadavg()[0]
    head = [
        "# Soak",
        "",
        "Written by `python -m benchmarks.soak --out benchmarks/SOAK.md`: a headless console",
        "and a writer on a 3-member sandbox (etcd with mTLS on 127.0.0.1) while random faults",
        "come and go. Crashes, lost acknowledged writes and linearizability violations must",
        "be 0. The suite runs a 60 s soak (`tests/faults/test_soak.py`).",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}",
        f"- load average (1 min) at the end: {load:.1f}",
        "",
        "```",
    ]
    out.write_text("\n".join([*head, *lines, "```", ""]), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--fault-every", type=float, default=4.0, help="seconds between faults")
    parser.add_argument(
        "--out", type=Path, default=None, help="also write the report here (benchmarks/SOAK.md)"
    )
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    parser.add_argument("--injector", help=argparse.SUPPRESS)
    parser.add_argument("--history", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        return writer_main(args.writer, args.history, args.seconds)
    if args.injector:
        return injector_main(args.injector, args.seed, args.seconds, args.fault_every, args.history)
    if not 10 <= args.seconds <= 3600:
        parser.error("--seconds must be between 10 and 3600")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    print(f"soak: seed {seed} (rerun with --seed {seed})", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="etcdtui-soak-"))
    os.chmod(tmp, 0o700)
    sb = Sandbox(tmp / "sandbox")
    rc = 1
    try:
        sb.up(3, fault_proxy=True)
        sb.settle()
        rc = soak(sb, args.seconds, seed, args.fault_every, tmp, args.out)
        return rc
    finally:
        sb.down(purge=rc == 0)
        if rc == 0:
            shutil.rmtree(tmp)  # this run's own throwaway files
        else:
            print(f"kept for inspection: {tmp} (history.jsonl, sandbox logs)")


if __name__ == "__main__":
    sys.exit(main())
