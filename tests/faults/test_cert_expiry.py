"""Scenario 14: the console's client certificate expires while it runs.

TLS checks a certificate at the handshake, so connections made before the expiry keep
working; the next handshake (here: to a member that restarts) fails, and the console
names the expired certificate, keeps running and keeps the other rows."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.tls import pki
from tests.support.faults import AckWriter, probe_keys, verify_acked
from tests.support.pilot_helpers import real_app, rows, until

LIFETIME_S = 12


async def test_client_cert_expiring_while_the_console_runs(
    faulty: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = faulty(3, fault_proxy=False)
    ca = pki.load_issued(sb.ca_cert, sb.pki_dir / "ca.key")
    # valid for LIFETIME_S more seconds: not_before one day minus LIFETIME_S ago, 1 day long
    now = dt.datetime.now(dt.UTC)
    short = pki.issue(
        ca,
        "short-lived-operator",
        client=True,
        not_before=now - dt.timedelta(days=1) + dt.timedelta(seconds=LIFETIME_S),
        days=1,
    )
    crt, key = tmp_path / "op.crt", tmp_path / "op.key"
    pki.save(short, crt, key)
    expires = time.monotonic() + LIFETIME_S
    settings = dataclasses.replace(sb.settings(), cert=crt, key=key)
    app = real_app(settings, AuditLog(tmp_path / "audit.jsonl"))
    # the writer has the sandbox's own (long-lived) certificate: the cluster goes on
    writer = AckWriter(sb, "/faults/s14")
    writer.__enter__()
    try:
        await _expire_while_running(sb, app, crt, expires, settings)
    finally:
        log = writer.stop()
    assert verify_acked(sb, log) > 0


async def _expire_while_running(
    sb: Sandbox, app: Any, crt: Path, expires: float, settings: Any
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: (
                len(rows(app)) == 3 and all(r.health.startswith("✔") for r in rows(app).values())
            ),
            what="3 healthy rows with the short-lived certificate",
        )
        leader = app.state.leader_name()
        victim = next(n for n in ("m1", "m2", "m3") if n != leader)
        url = sb.client_url(sb.state.member(victim))  # type: ignore[union-attr]
        await until(
            pilot, lambda: time.monotonic() > expires + 1, timeout=LIFETIME_S + 30, what="expiry"
        )
        # a new handshake: the member restarts, the console must dial it again (kill()
        # returns once the old process is gone, so start() really starts a new one)
        await asyncio.to_thread(sb.kill, victim)
        await asyncio.to_thread(sb.start, victim)

        def diagnosed() -> bool:
            t = app.state.tracks.get(url)
            return bool(t and t.status and t.status.error_code == "tls-client-expired")

        await until(
            pilot,
            diagnosed,
            timeout=30,
            what=f"{victim} failing with the expiry diagnosis",
            show=lambda: app.state.tracks.get(url),
        )
        status = app.state.tracks[url].status
        assert status is not None and status.error is not None
        assert "expired" in status.error and str(crt) in status.error
        assert "unreachable" in rows(app)[victim].health
        # the console keeps running and answering keys
        await probe_keys(pilot, app, "14 client certificate expired")
        assert app.is_running
    # the service layer gives the same diagnosis to every new connection
    async with ClusterService(dataclasses.replace(settings, endpoints=(url,))) as svc:
        fresh = await svc.endpoint_status(url)
    assert not fresh.ok and fresh.error_code == "tls-client-expired", fresh
