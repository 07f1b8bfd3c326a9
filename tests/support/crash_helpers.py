"""Shared by the crash-resume tests (tests/integration/test_crash_resume.py) and the
fault suite's scenario 16: a wizard as a child process that SIGKILLs itself at a named
point (``ETCDTUI_TEST_CRASH_AT=STEP:WHERE``), resumed until it finishes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable

from etcdtui.services.cluster import ClusterService
from etcdtui.services.executor import load_state, plan_state_dir
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import etcdctl

KEYS = 300


def write_keys(sb: Sandbox) -> None:
    async def go() -> None:
        async with ClusterService(sb.settings()) as svc:
            for start in range(0, KEYS, 50):
                await asyncio.gather(
                    *(svc.put(f"k/{i:04d}".encode(), b"v" * 16) for i in range(start, start + 50))
                )

    asyncio.run(go())


def key_count(sb: Sandbox, endpoint: str) -> int:
    out = etcdctl(sb, "get", "k/", "--prefix", "--keys-only", endpoints=[endpoint]).stdout
    return len([line for line in out.splitlines() if line.startswith("k/")])


def wizard(args: list[str], crash_at: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ETCDTUI_TEST_CRASH_AT"}
    if crash_at:
        env["ETCDTUI_TEST_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def newest_plan(kind: str) -> str:
    plans = sorted(plan_state_dir().glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime)
    assert plans, "no saved wizard"
    return plans[-1].stem


def crash_chain(
    first: list[str],
    resume: list[str],
    kind: str,
    points: list[str],
    after: dict[str, Callable[[], None]] | None = None,
) -> str:
    """Run ``first`` killed at points[0], then resume killed at each next point, then
    resume to the end; ``after[point]`` runs right after the kill at ``point``.
    Returns the plan id."""
    hooks = after or {}
    res = wizard(first, points[0])
    assert res.returncode == -signal.SIGKILL, res.stdout[-3000:] + res.stderr[-3000:]
    plan_id = newest_plan(kind)
    hooks.get(points[0], lambda: None)()
    for point in points[1:]:
        res = wizard([*resume, "--resume", plan_id], point)
        assert res.returncode == -signal.SIGKILL, res.stdout[-3000:] + res.stderr[-3000:]
        hooks.get(point, lambda: None)()
    res = wizard([*resume, "--resume", plan_id], None)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert load_state(plan_id)["status"] == "done"
    return plan_id


def healthy_voters(sb: Sandbox) -> list[str]:
    assert sb.state is not None
    urls = [sb.client_url(m) for m in sb.state.members if not m.removed]
    out = etcdctl(sb, "endpoint", "health", "-w", "json", endpoints=urls, check=False).stdout
    return [h["endpoint"] for h in json.loads(out) if h["health"]]
