"""SIGTERM or SIGHUP during an executing wizard stops it like Ctrl-C: the step in flight
is cancelled, the plan records where it stopped, and `--resume` finishes the job."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable

import pytest

from etcdtui.cli.procedure_cmds import run_cli
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox

pytestmark = pytest.mark.etcd


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_the_replace_and_resume_finishes_it(
    fresh_cluster: Callable[..., Sandbox], sig: signal.Signals
) -> None:
    sb = fresh_cluster(3)
    sb.kill("m2")
    argv = ["member", "replace", "m2", "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "etcdtui", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert proc.stdout is not None
    plan_id, seen = None, []
    try:
        for line in proc.stdout:  # bounded: the plan has a dozen steps
            seen.append(line)
            m = re.search(r"Running plan (\S+)", line)
            if m:
                plan_id = m.group(1)
            if line.startswith("[7/"):  # the learner is being added: a membership change
                proc.send_signal(sig)
                break
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert plan_id, "".join(seen)
    assert proc.returncode == 128 + sig, err
    assert "--resume" in err and plan_id in err

    rc = run_cli(["member", "replace", "--resume", plan_id, "--sandbox-dir", str(sb.dir), "--yes"])
    assert rc == 0

    async def voters() -> list[str]:
        async with ClusterService(sb.settings()) as svc:
            assert all(h.healthy for h in await svc.health())
            return sorted(m.name for m in (await svc.members()).members if not m.is_learner)

    assert asyncio.run(voters()) == ["m1", "m2", "m3"]
