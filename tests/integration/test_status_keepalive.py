"""`etcdtui status` asks each member's Status and then its /metrics on one kept-alive
TLS connection (etcdtui.services.etcdapi.gateway.Connection), on real etcd with
client and peer mutual TLS: the answers on the kept connection are the member's own,
and a member that hangs between two requests costs the second request its own
deadline, never a wait on the dead connection afterwards."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from etcdtui import errors
from etcdtui.services.etcdapi.gateway import Connection, GatewayPool
from etcdtui.services.metrics import reduce
from etcdtui.services.quick_status import QuickStatus, _metrics_text
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import process_state
from tests.support.metrics_reference import every_line

pytestmark = pytest.mark.etcd


def test_status_and_metrics_share_one_connection_and_answer_right(cluster: Sandbox) -> None:
    settings = cluster.settings()
    pool = GatewayPool(settings)
    for url in settings.endpoints:
        client = pool.client(url)
        with Connection(client) as conn:
            status = client.status(conn)
            text = _metrics_text(conn, time.monotonic() + settings.timeout, settings.timeout)
            again = client.status(conn)
            assert conn.opened == 1 and conn.requests == 3  # one TLS connection for all three
        metrics = reduce(url, text)
        # the member's own answers: the scrape names the member Status named
        assert status.header.member_id != 0
        assert metrics.member_id == status.header.member_id == again.header.member_id
        assert metrics.quota_bytes and metrics.quota_bytes > 0
        # and the scan of a real scrape reads what reading every line reads
        from etcdtui.services.metrics import parse_text

        assert parse_text(text) == every_line(text)


def test_reading_reuses_the_status_connection_for_metrics(
    cluster: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Connection] = []
    real_init = Connection.__init__

    def spy(self: Connection, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(self)

    monkeypatch.setattr(Connection, "__init__", spy)
    settings = cluster.settings()
    result = QuickStatus(settings).read()
    assert result.unusable is None
    assert all(s.ok for s in result.reading.endpoints)
    assert all(m.ok for m in result.scraped), result.scraped
    ids = {s.endpoint: s.member_id for s in result.reading.endpoints}
    assert {m.endpoint: m.member_id for m in result.scraped} == ids
    kept = [c for c in opened if c.keep]
    assert len(kept) == len(settings.endpoints)
    assert all(c.opened == 1 for c in kept)  # Status and /metrics on one connection each


def test_member_paused_between_two_requests_on_a_kept_connection(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(3)
    assert sandbox.state is not None
    follower = next(m for m in sandbox.state.members if m.name != "m1")
    settings = sandbox.settings()
    deadline = settings.timeout
    client = GatewayPool(settings).client(sandbox.client_url(follower))
    with Connection(client) as conn:
        before = client.status(conn)
        assert conn.sock is not None  # kept for the next request
        sandbox.pause(follower.name)
        try:
            assert process_state(follower.pid) == "T"
            # the request on the kept connection runs into its deadline (a timeout,
            # not a wait without end) and the connection is dropped, not kept
            with pytest.raises(TimeoutError):
                _metrics_text(conn, time.monotonic() + deadline, deadline)
            assert conn.sock is None
            # the next request opens a new connection, which the hung member never
            # finishes: named in the probe's words, as the gRPC path names it
            with pytest.raises(errors.EtcdtuiError) as info:
                client.status(conn)
            assert "never finished the TLS handshake" in str(info.value.cause)
            assert conn.sock is None
        finally:
            sandbox.resume(follower.name)
        after = client.status(conn)  # the member is back: a new connection answers
        assert conn.opened == 2  # the first, and this one (the hung handshake never opened)
    assert after.header.member_id == before.header.member_id


def test_lost_quorum_status_and_metrics_answer_before_the_health_read_waits(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    # The survivor's health read waits for a leader until its deadline; it is the last
    # request on the member's connection, so Status and /metrics are answered before
    # it, and its failure is the survivor's own health verdict.
    sandbox = fresh_cluster(3)
    sandbox.kill("m1")
    sandbox.kill("m2")
    assert sandbox.state is not None
    survivor = sandbox.client_url(next(m for m in sandbox.state.members if m.name == "m3"))
    result = QuickStatus(sandbox.settings(timeout=1.0)).read()
    status = next(s for s in result.reading.endpoints if s.endpoint == survivor)
    health = next(h for h in result.reading.health if h.endpoint == survivor)
    metrics = next(m for m in result.scraped if m.endpoint == survivor)
    assert status.ok  # answered by the member alone
    assert metrics.ok, metrics  # the scrape, on the kept connection
    assert metrics.member_id == status.member_id
    assert health.healthy is False and health.error_code == "deadline", health
    others = [s for s in result.reading.endpoints if s.endpoint != survivor]
    assert len(others) == 2 and not any(s.ok for s in others)
