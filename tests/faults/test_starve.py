"""Scenario 6: a member starved of CPU (SIGSTOP/SIGCONT duty cycle) misses heartbeats.

A starved leader loses its leadership; the console counts every change it sees and,
past a few in 15 minutes, its advisory names heartbeat starvation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services import metrics, sandbox_faults
from etcdtui.services.audit import AuditLog
from etcdtui.services.sandbox import Sandbox
from tests.support.faults import AckWriter, probe_keys, verify_acked
from tests.support.pilot_helpers import real_app, rows, until


@pytest.mark.flaky(
    reruns=1,
    reruns_delay=2,
    reason=(
        "counts leader changes caused by CPU starvation: the pauses are timed by a separate "
        "starver process and the elections by etcd's own timers, both late on a loaded host"
    ),
)
async def test_starved_member_leader_changes_counted_and_advised(
    faulty: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = faulty(3, fault_proxy=False)
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"))
    writer = AckWriter(sb, "/faults/s6")
    starved: list[str] = []
    with writer:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(
                pilot,
                lambda: len(rows(app)) == 3 and app.state.leader_name(),
                what="3 rows and a leader",
            )
            assert app.state.leader_changes_recent() == 0
            for round_ in range(3):
                victim = app.state.leader_name()
                assert victim is not None
                fault = sandbox_faults.starve(sb, victim, duty=0.7)
                starved.append(victim)
                try:
                    assert [f["member"] for f in sandbox_faults.active_faults(sb)] == [victim]
                    # longer than the longest election timeout a follower can draw (2x)
                    longest = sandbox_faults.longest_follower_timeout_s(
                        sb.state.election_timeout_ms
                    )
                    assert fault["period"] * fault["duty"] > longest
                    await until(
                        pilot,
                        lambda v=victim: app.state.leader_name() not in (None, v),
                        timeout=30,
                        what=f"leadership to leave starved {victim} (round {round_ + 1})",
                    )
                    if round_ == 0:
                        await probe_keys(pilot, app, "6 starved member")
                finally:
                    sandbox_faults.heal(sb, victim)
                assert sandbox_faults.active_faults(sb) == []
            await until(
                pilot,
                lambda: app.state.leader_changes_recent() >= 3,
                timeout=60,
                what="3 leader changes counted",
            )
            advice = app.state.advisories(app.default_quota)
            churn = [a for a in advice if a.code == "leader-churn"]
            assert churn, advice
            assert "heartbeat starvation" in churn[0].why
            # the service layer: etcd's own count of leader changes agrees
            settings = sb.settings(timeout=2.0)
            seen = await metrics.scrape_all(list(settings.endpoints), settings)
            changes = [m.leader_changes for m in seen if m.ok and m.leader_changes is not None]
            assert changes and max(changes) >= 3, seen
            # the starved members are running again and the cluster heals
            await until(
                pilot,
                lambda: all(r.health.startswith("✔") for r in rows(app).values()),
                timeout=30,
                what="all healthy after the starvation ends",
            )
    for name in set(starved):
        assert sb.is_running(sb.state.member(name)) and not sb.is_paused(  # type: ignore[union-attr]
            sb.state.member(name)  # type: ignore[union-attr]
        )
    log = writer.stop()
    assert verify_acked(sb, log) > 0
