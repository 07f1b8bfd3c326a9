"""The reads of `etcdtui status` through etcd's gRPC-JSON gateway, on threads.

`etcdtui status` is a one-shot command racing three etcdctl calls: importing asyncio
alone costs it about a third of their time (docs/benchmarks.md). Its few HTTPS
requests run here on plain threads instead: one per member (Status, /metrics and the
health read in turn on one kept-alive connection, :meth:`QuickStatus.member_reads`),
one for the member list, one for the alarms. Each request is bounded by its own
deadline (the socket timeouts of :class:`~etcdtui.services.etcdapi.gateway.GatewayClient`),
so a hung member costs one deadline and never holds up the others.

The reading is :meth:`ClusterService.overview`'s, request for request: the member
list (linearizable, asked of one endpoint after another with a hedge, and the
serializable read when the linearizable one is late or fails), every endpoint's
Status and health read, the alarms from the first endpoint (else the leader's), and
each member's /metrics. What the answers mean is shared with it
(:mod:`etcdtui.services.readings`); so are the endpoint parsing, the TLS files and the
diagnosis of every failure (:mod:`etcdtui.services.etcdapi`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from etcdtui import errors
from etcdtui.cluster_data import (
    Alarm,
    ClusterReading,
    ConnectionSettings,
    EndpointHealth,
    EndpointStatus,
    MemberList,
)
from etcdtui.i18n import _
from etcdtui.records import record
from etcdtui.services.etcdapi.endpoint import split_endpoint
from etcdtui.services.etcdapi.gateway import Connection, GatewayClient, GatewayPool
from etcdtui.services.readings import (
    alarms_from,
    best_failure,
    client_urls,
    health_verdict,
    member_list_from,
    pick_endpoint,
    status_failed,
    status_from,
)

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Generic, TypeVar

    T = TypeVar("T")

    class _Typed(Generic[T]):
        pass
else:
    T = None

    class _Typed:
        """At run time a plain base: ``_Result[X]`` is ``_Result``."""

        def __class_getitem__(cls, item):
            return cls


_SLICE = 0.05  # seconds: how often a waiting main thread lets signal handlers run


class _Result(_Typed[T]):
    """An answer some thread will give: the waits here are bounded (``until``), so
    nothing waits forever even if a request misbehaved."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None

    def give(self, result: T | None = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float) -> bool:
        return self._done.wait(max(timeout, 0.0))

    def get(self, until: float) -> T:
        """The answer, or the request's error; DeadlineExceeded once ``until`` passed.

        Waits in slices of 50 ms: a signal (Ctrl-C, SIGTERM) delivered to one of the
        request threads runs its Python handler only when the main thread runs again,
        so the main thread must not sleep through the whole wait."""
        while not self._done.wait(min(max(until - time.monotonic(), 0.0), _SLICE)):
            if time.monotonic() >= until:  # bounded: until is a fixed time
                raise errors.DeadlineExceeded(_("no answer within the deadline"))
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class _Call(_Result[T]):
    """One request on a daemon thread of its own. A request is bounded by its own
    deadline. A thread still running when the command ends is dropped with the process
    (it only reads)."""

    def __init__(
        self,
        fn: Callable[..., T],
        *args: Any,
        notify: queue.SimpleQueue[_Call[Any]] | None = None,
    ) -> None:
        super().__init__()
        self._fn, self._args, self._notify = fn, args, notify
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            self.give(self._fn(*self._args))
        except BaseException as exc:  # handed to the waiting thread
            self.give(error=exc)
        finally:
            if self._notify is not None:
                self._notify.put(self)


@record(frozen=True)
class StatusReading:
    """What `etcdtui status` shows: the reading, each member's /metrics, and why the
    answer must come from gRPC instead (``unusable``), if the gateway showed that."""

    reading: ClusterReading
    scraped: tuple[Any, ...]
    unusable: str | None


class QuickStatus:
    """The reads of :meth:`ClusterService.overview` plus the /metrics scrapes, for one
    cluster, over the gateway on threads."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self.pool = GatewayPool(settings)
        self._known_client_urls: list[str] = []
        self._normal: dict[str, str | None] = {}
        # No wait of this reading lasts past this: every request is bounded by the
        # deadline (connect + answer), the health check by two, the diagnosis by one.
        self.limit = 4 * settings.timeout + 2.0

    # --- endpoint sets (as ClusterService's) -------------------------------------------

    def all_endpoints(self) -> list[str]:
        seen: dict[str, None] = {}
        for url in [*(e.url for e in self.pool.endpoints), *self._known_client_urls]:
            if url not in self._normal:  # each URL parsed once, not on every call
                try:
                    self._normal[url] = split_endpoint(url, insecure=self.settings.insecure).url
                except errors.EtcdtuiError:
                    self._normal[url] = None
            normal = self._normal[url]
            if normal is not None:
                seen[normal] = None
        return list(seen)

    def metrics_urls(self) -> list[str]:
        from etcdtui.services.metrics import scrape_urls

        return scrape_urls(self.settings, self.all_endpoints())

    def _remember(self, members: MemberList) -> None:
        self._known_client_urls = client_urls(members, insecure=self.settings.insecure)

    # --- the requests ----------------------------------------------------------------

    def _hedged(self, fn: Callable[[GatewayClient], T], clients: Sequence[GatewayClient]) -> T:
        """Ask one endpoint after another: the next when the last failed or has not
        answered within the pool's hedge. The first answer wins."""
        answers: queue.SimpleQueue[_Call[Any]] = queue.SimpleQueue()
        until = time.monotonic() + self.limit
        launched = pending = 0
        failures: list[BaseException] = []

        def launch() -> None:
            nonlocal launched, pending
            _Call(fn, clients[launched], notify=answers)
            launched += 1
            pending += 1

        while pending or launched < len(clients):  # each turn launches or takes an answer
            if not pending:
                launch()
            more = launched < len(clients)
            wait = self.pool.hedge if more else until - time.monotonic()
            try:
                call = answers.get(timeout=max(wait, 0.0))
            except queue.Empty:
                if not more:
                    break
                launch()
                continue
            pending -= 1
            if call.error is None:
                return call.result  # type: ignore[return-value]
            if not isinstance(call.error, errors.EtcdtuiError):
                raise call.error
            failures.append(call.error)
            if more:
                launch()
        raise best_failure(failures)

    def members(self) -> MemberList:
        """As :meth:`ClusterService.members` over the gateway: the linearizable list,
        else (late or failed) the serializable one a member gives from its own state."""
        clients = [self.pool.client(u) for u in self.all_endpoints()]

        def ask(linearizable: bool) -> Callable[[GatewayClient], MemberList]:
            def one(c: GatewayClient) -> MemberList:
                resp = c.member_list(linearizable=linearizable)
                return member_list_from(resp.header, resp.members)

            return one

        until = time.monotonic() + self.limit
        strict = _Call(self._hedged, ask(True), clients)
        local: _Call[MemberList] | None = None
        if not strict.wait(self.pool.hedge):
            local = _Call(self._hedged, ask(False), clients)
        try:
            result = strict.get(until)
        except errors.EtcdtuiError as exc:
            if local is None:
                local = _Call(self._hedged, ask(False), clients)
            try:
                result = local.get(until)
            except errors.EtcdtuiError:
                raise exc from None
        self._remember(result)
        return result

    def endpoint_status(self, url: str, conn: Connection | None = None) -> EndpointStatus:
        client = self.pool.client(url)
        start = time.perf_counter()
        try:
            resp = client.status(conn)
        except errors.EtcdtuiError as exc:
            return status_failed(client.url, exc, (time.perf_counter() - start) * 1000.0)
        return status_from(client.url, resp, (time.perf_counter() - start) * 1000.0)

    def member_reads(
        self,
        url: str,
        status: _Result[EndpointStatus],
        scrape: _Result[Any] | None,
        health: _Result[EndpointHealth],
    ) -> None:
        """The member's Status, its /metrics, then its health read, in that order on
        one connection: a TLS connection costs the client ~2 ms of CPU and the member
        as much, a request on a kept one a tenth of that.

        The order keeps the reasons for separate connections: Status (answered by the
        member alone) comes first, and the health read, which with quorum lost waits
        for a leader until its deadline, comes last, so nothing queues behind it. A
        member that failed Status is not scraped: that would only run into the same
        deadline again; if it failed for want of an answer in time (hung: the TLS
        handshake or the answer never came), its health read would wait out the same
        deadline on a new connection, so that failure is its health too (as a health
        read of its own fails: in the same words)."""
        with Connection(self.pool.client(url)) as conn:
            try:
                answer = self.endpoint_status(url, conn)
                status.give(answer)
                if scrape is not None:
                    if answer.ok:
                        scrape.give(self._scrape(url, conn))
                    else:
                        scrape.give(_not_scraped(url))
                if not answer.ok and answer.error_code == errors.DeadlineExceeded.code:
                    health.give(
                        EndpointHealth(
                            url, False, answer.error, answer.error_code, answer.latency_ms
                        )
                    )
                else:
                    health.give(self.endpoint_health(url, conn))
            except BaseException as exc:  # handed to the waiting thread
                for r in (status, scrape, health):
                    if r is not None and not r.done():
                        r.give(error=exc)
                raise

    def _scrape(self, url: str, conn: Connection) -> Any:
        from etcdtui.services.metrics import scrape_blocking

        def fetch(until: float) -> str:
            return _metrics_text(conn, until, self.settings.timeout)

        return scrape_blocking(url, self.settings, fetch=fetch)

    def endpoint_health(self, url: str, conn: Connection | None = None) -> EndpointHealth:
        client = self.pool.client(url)
        start = time.perf_counter()
        for serializable in (False, True):
            try:
                client.health_read(serializable=serializable, conn=conn)
                break
            except errors.EtcdtuiError as exc:
                verdict = health_verdict(exc, serializable=serializable)
                if verdict == "healthy":
                    break
                if verdict == "retry":
                    continue
                ms = (time.perf_counter() - start) * 1000.0
                return EndpointHealth(client.url, False, str(exc.cause), exc.code, ms)
        return EndpointHealth(client.url, True, None, None, (time.perf_counter() - start) * 1000.0)

    def alarms(self, url: str) -> tuple[Alarm, ...]:
        return alarms_from(self.pool.client(url).alarm_list())

    # --- the reading -----------------------------------------------------------------

    def read(self) -> StatusReading:
        """Every request starts at once; endpoints the member list reveals are asked
        as soon as it arrives. A member whose Status failed (hung, unreachable) is not
        waited for on /metrics: that would only run into the same deadline again."""
        until = time.monotonic() + self.limit
        known = self.all_endpoints()
        scrapes = MetricsScrapes(self.settings, self.pool)
        members_c = _Call(self.members)
        status_c: dict[str, _Result[EndpointStatus]] = {}
        health_c: dict[str, _Result[EndpointHealth]] = {}
        for url in known:
            self._start_member(url, status_c, health_c, scrapes)
        alarms_c = _Call(self.alarms, known[0]) if known else None
        scrapes.start(self.metrics_urls())
        # what the document needs next, loaded while the members answer (the import
        # overlaps the servers' work instead of following it)
        from etcdtui.domain import quorum  # noqa: F401
        from etcdtui.services import advisories  # noqa: F401

        members_error: str | None = None
        members_error_code: str | None = None
        try:
            members: MemberList | None = members_c.get(until)
        except errors.EtcdtuiError as exc:
            members, members_error, members_error_code = None, exc.cause, exc.code
        for url in self.all_endpoints():
            self._start_member(url, status_c, health_c, scrapes)
        statuses = tuple(_status(u, c, until) for u, c in status_c.items())
        health = tuple(_health(u, c, until) for u, c in health_c.items())
        alarms: tuple[Alarm, ...] = ()
        try:
            if alarms_c is None:
                raise errors.Unreachable(_("no endpoint"))
            alarms = alarms_c.get(until)
        except errors.EtcdtuiError:
            target = pick_endpoint(statuses)
            if target is not None and target != known[0]:
                try:
                    alarms = _Call(self.alarms, target).get(until)
                except errors.EtcdtuiError:
                    alarms = ()
        reading = ClusterReading(
            members, statuses, health, alarms, members_error, members_error_code
        )
        if self.pool.unusable is not None:
            return StatusReading(reading, (), self.pool.unusable)
        return StatusReading(reading, scrapes.finish(reading, self.metrics_urls(), until), None)

    def _start_member(
        self,
        url: str,
        status_c: dict[str, _Result[EndpointStatus]],
        health_c: dict[str, _Result[EndpointHealth]],
        scrapes: MetricsScrapes,
    ) -> None:
        """A member's reads on one thread and connection: Status, /metrics (when it is
        served on the client URL) and the health read (see :meth:`member_reads`)."""
        if url in status_c:
            return
        scrape: _Result[Any] | None = None
        if not self.settings.metrics_urls and url not in scrapes.calls:
            scrape = scrapes.calls[url] = _Result()
        status_c[url] = _Result()
        health_c[url] = _Result()
        _Call(self.member_reads, url, status_c[url], scrape, health_c[url])


def _not_scraped(url: str) -> Any:
    from etcdtui.services.metrics import MemberMetrics

    return MemberMetrics(url, False, _("not scraped: the member did not answer gRPC"))


def _metrics_text(conn: Connection, until: float, deadline: float) -> str:
    """/metrics on a connection kept from the member's Status. Not asked gzipped:
    etcd compresses its ~160 KiB to ~12 KiB, which saves the client ~0.5 ms but costs
    the member ~2 ms of CPU, and both share the machine in a sandbox."""
    from etcdtui.services.metrics import MAX_METRICS_BYTES, answer_text

    status_line, _headers, payload = conn.request(
        "GET",
        "/metrics",
        None,
        until,
        connect_budget=deadline / 2,
        headers=_METRICS_HEADERS,
        limit=MAX_METRICS_BYTES,
    )
    return answer_text(status_line, payload)


_METRICS_HEADERS = "Accept: text/plain\r\n"


def _status(url: str, call: _Result[EndpointStatus], until: float) -> EndpointStatus:
    try:
        return call.get(until)
    except errors.EtcdtuiError as exc:  # only the outer bound: the request never raises
        return status_failed(url, exc, 0.0)


def _health(url: str, call: _Result[EndpointHealth], until: float) -> EndpointHealth:
    try:
        return call.get(until)
    except errors.EtcdtuiError as exc:
        return EndpointHealth(url, False, str(exc.cause), exc.code, 0.0)


class MetricsScrapes:
    """Each member's /metrics for `status`, one thread per URL, started beside the reads
    (the gateway's here, or the gRPC overview's in :mod:`etcdtui.ops.status`). A member
    whose status failed (hung, unreachable) is not waited for: its scrape would only
    run into the same deadline, after the reading has already paid it once."""

    def __init__(self, settings: ConnectionSettings, pool: GatewayPool | None = None) -> None:
        self.settings = settings
        self.pool = pool
        self.calls: dict[str, _Result[Any]] = {}
        self.ctx: Any = None
        self.ctx_error: str | None = None
        self._tried_ctx = False

    def start(self, urls: list[str]) -> None:
        from etcdtui.services.metrics import client_ssl_context, scrape_blocking

        if not self._tried_ctx and any(urlsplit(u).scheme == "https" for u in urls):
            self._tried_ctx = True
            try:
                # the gateway's own context: the same files, loaded once (building a
                # context costs milliseconds); when it cannot be built, the scrape's
                # own attempt words the failure as /metrics always has
                if self.pool is None:
                    raise ValueError("no gateway context")
                self.ctx = self.pool.ssl_context()
            except (OSError, ValueError, errors.EtcdtuiError):
                try:
                    self.ctx = client_ssl_context(self.settings)
                except errors.EtcdtuiError as exc:
                    self.ctx_error = exc.cause
        for url in urls:
            if url not in self.calls and self.ctx_error is None:
                self.calls[url] = _Call(
                    lambda u=url: scrape_blocking(u, self.settings, ctx=self.ctx)
                )

    def finish(self, reading: ClusterReading, urls: list[str], until: float) -> tuple[Any, ...]:
        from etcdtui.services.metrics import MemberMetrics

        failed = {s.endpoint for s in reading.endpoints if not s.ok}
        self.start([u for u in urls if u not in failed])  # endpoints the member list named
        out = []
        for url in urls:
            if self.ctx_error is not None:
                out.append(MemberMetrics(url, False, self.ctx_error))
                continue
            call = self.calls.get(url)
            if call is None or (url in failed and not call.done()):
                out.append(_not_scraped(url))
                continue
            try:
                out.append(call.get(until))
            except errors.EtcdtuiError as exc:  # only the outer bound: a scrape never raises
                out.append(MemberMetrics(url, False, exc.cause))
        return tuple(out)
