"""SIGTERM and SIGHUP end the console as `q` does, with 128 + the signal number, so its
workers (a snapshot save among them) are cancelled and clean up (issue 11, item 5)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from etcdtui.services.audit import AuditLog
from etcdtui.services.sandbox import Sandbox
from tests.support.pilot_helpers import real_app, rows, until

pytestmark = pytest.mark.etcd


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
async def test_a_signal_ends_the_console_cleanly(
    cluster: Sandbox, tmp_path: Path, signum: signal.Signals
) -> None:
    # Without the console's own handler the signal must not kill the test run: this one
    # swallows it, and the test then fails on the timeout instead.
    previous = signal.signal(signum, lambda *_a: None)
    try:
        app = real_app(cluster.settings(), AuditLog(tmp_path / "audit.jsonl"))
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: len(rows(app)) == 3, what="the members")
            os.kill(os.getpid(), signum)  # the handler runs on the app's own loop
            await until(pilot, lambda: app.return_code is not None, what="the app to exit")
        assert app.return_code == 128 + signum
    finally:
        signal.signal(signum, previous)
