"""`etcdtui status` with a hung (SIGSTOPped) member: the member's /metrics scrape is
given up once its gRPC status has failed, instead of running into a second deadline
of its own after the overview already paid one. The others' metrics are kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import process_state
from tests.support.helpers import conn_flags
from tests.support.transport import status_transport  # noqa: F401 (a fixture)

pytestmark = pytest.mark.etcd


@pytest.mark.usefixtures("status_transport")
def test_status_gives_up_the_scrape_of_a_member_that_failed_grpc(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(3)
    assert sandbox.state is not None
    follower = next(m for m in sandbox.state.members if m.name != "m1")
    sandbox.pause(follower.name)
    try:
        assert process_state(follower.pid) == "T"
        flags = [*conn_flags(sandbox.settings()), "--timeout=1.5", "--lang=en"]
        proc = subprocess.run(
            [sys.executable, "-m", "etcdtui", *flags, "status", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "ETCDTUI_CONFIG_DIR": str(sandbox.dir / "no-config")},
        )
    finally:
        sandbox.resume(follower.name)
    assert proc.returncode == 1, proc.stderr  # degraded
    doc = json.loads(proc.stdout)
    by_url = {e["endpoint"]: e for e in doc["endpoints"]}
    hung = by_url[sandbox.client_url(follower)]
    assert hung["ok"] is False
    # before: "no answer within the deadline", after a second wait of its own
    assert hung["metrics"]["ok"] is False
    assert hung["metrics"]["error"] == "not scraped: the member did not answer gRPC"
    others = [e for url, e in by_url.items() if url != hung["endpoint"]]
    assert len(others) == 2
    for e in others:
        assert e["ok"] is True
        assert e["metrics"]["ok"] is True, e["metrics"]
        assert e["metrics"]["quota_backend_bytes"] > 0


def test_sigterm_stops_status_waiting_for_a_hung_member(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    # the gateway reads wait on threads: a SIGTERM that the kernel hands to one of them
    # must still end the command at once, with the words and exit code of every other
    # command (128 + 15), not after the hung member's deadline. (Over gRPC the run is
    # asyncio's, where signals cancel the task: tests of `run` elsewhere.)
    import signal
    import time

    sandbox = fresh_cluster(3)
    assert sandbox.state is not None
    follower = next(m for m in sandbox.state.members if m.name != "m1")
    sandbox.pause(follower.name)
    try:
        flags = [*conn_flags(sandbox.settings()), "--timeout=30", "--lang=en"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "etcdtui", *flags, "status", "-o", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "ETCDTUI_CONFIG_DIR": str(sandbox.dir / "no-config"),
                "ETCDTUI_STATUS_TRANSPORT": "gateway",
            },
        )
        try:
            time.sleep(3)  # well into the wait: the hung member holds it for 15 s
            assert proc.poll() is None
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=10)  # not the 15 s the member would hold
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    finally:
        sandbox.resume(follower.name)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "SIGTERM arrived" in err
