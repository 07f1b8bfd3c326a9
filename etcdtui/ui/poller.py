"""Per-endpoint polling.

Every endpoint has its own loop; a loop starts its next poll only after the
previous one finished, so a hung (SIGSTOPped) member delays nobody but itself.
The member list and alarms have one more loop. All loops wait while polling is
paused (a modal needs the screen). Results are posted as typed messages.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual.app import App
from textual.worker import Worker

from etcdtui.cluster_data import Alarm, EndpointHealth, EndpointStatus, MemberList
from etcdtui.errors import EtcdtuiError
from etcdtui.ui.errors import as_etcdtui_error, report
from etcdtui.ui.messages import (
    ConsistencyChecked,
    ConsistencyPoll,
    EndpointPoll,
    EndpointPolled,
    EndpointPollStarted,
    MembersPoll,
    MembersPolled,
    MetricsPoll,
    MetricsPolled,
    PollStarted,
)
from etcdtui.ui.service import ClusterLike

ALARM_EVERY_S = 30.0
METRICS_EVERY_S = 5.0  # /metrics is ~200 KiB per member: not every refresh


class Poller:
    def __init__(
        self,
        app: App[Any],
        service: ClusterLike,
        interval: float,
        *,
        consistency_every: float = 0.0,
    ) -> None:
        self.app = app
        self.service = service
        self.interval = interval
        self.consistency_every = consistency_every  # 0: the sentinel is off
        self._sentinel: Worker[None] | None = None
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._pauses = 0
        self._loops: dict[str, Worker[None]] = {}
        self._metric_loops: dict[str, Worker[None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._members_worker: Worker[None] | None = None
        self._alarms: tuple[Alarm, ...] = ()
        self._cycle = 0
        self._last_surprise: str | None = None

    # --- control ---------------------------------------------------------------------------

    def start(self) -> None:
        self._members_worker = self.app.run_worker(
            self._members_loop(), group="poll", name="poll-members", exit_on_error=False
        )
        if self.consistency_every > 0:
            self._sentinel = self.app.run_worker(
                self._sentinel_loop(), group="poll", name="consistency", exit_on_error=False
            )
        # The configured endpoints need no member list: poll them at once.
        self._sync_endpoint_loops(self.service.configured_endpoints())

    def stop(self) -> None:
        workers = [*self._loops.values(), *self._metric_loops.values()]
        if self._members_worker is not None:
            workers.append(self._members_worker)
        if self._sentinel is not None:
            workers.append(self._sentinel)
        for w in workers:
            w.cancel()
        self._loops.clear()
        self._metric_loops.clear()

    def pause(self) -> None:
        self._pauses += 1
        self._resumed.clear()

    def resume(self) -> None:
        self._pauses = max(0, self._pauses - 1)
        if self._pauses == 0:
            self._resumed.set()

    @property
    def paused(self) -> bool:
        return self._pauses > 0

    def endpoints(self) -> list[str]:
        return sorted(self._loops)

    # --- one poll ----------------------------------------------------------------------------

    async def poll_members(self, *, with_alarms: bool | None = None) -> None:
        # An Alarm GET is a raft proposal in etcd: one per poll would add a raft entry
        # every interval. Ask every ALARM_EVERY_S; each status's `errors` field carries
        # active alarms in between, and the members table shows those at once.
        every = max(1, round(ALARM_EVERY_S / self.interval))
        ask_alarms = with_alarms if with_alarms is not None else self._cycle % every == 0
        # Both at once: the first frame waits for the member list, not for a raft round.
        alarms_task = asyncio.ensure_future(self._fetch_alarms()) if ask_alarms else None
        members: MemberList | None = None
        error: str | None = None
        try:
            members = await self.service.members()
            self._cycle += 1
        except Exception as exc:  # a bug, not an answer: see _loop_survives
            error = as_etcdtui_error(exc).cause
        before = self._alarms
        self.app.post_message(MembersPolled(MembersPoll(members, before, error)))
        if alarms_task is not None:  # shown when it comes; the member list did not wait
            await alarms_task
            if self._alarms != before:
                self.app.post_message(MembersPolled(MembersPoll(members, self._alarms, error)))

    async def _fetch_alarms(self) -> None:
        try:
            self._alarms = await self.service.alarms()
        except EtcdtuiError:
            pass

    async def poll_endpoint(self, url: str) -> None:
        lock = self._locks.setdefault(url, asyncio.Lock())
        if lock.locked():
            return  # the previous poll of this endpoint has not finished
        async with lock:
            self.app.post_message(EndpointPollStarted(PollStarted(url)))
            try:
                status, health = await asyncio.gather(
                    self.service.endpoint_status(url), self.service.endpoint_health(url)
                )
            except Exception as exc:  # a bug, not an answer: see _loop_survives
                err = as_etcdtui_error(exc)
                status = EndpointStatus(url, False, err.cause, err.code)
                health = EndpointHealth(url, False, err.cause, err.code)
            self.app.post_message(EndpointPolled(EndpointPoll(url, status, health)))

    async def poll_metrics(self, url: str) -> None:
        try:
            sample = await self.service.scrape_metrics(url)
        except Exception as exc:
            self._loop_survives(exc)
            return
        self.app.post_message(MetricsPolled(MetricsPoll(url, sample)))

    def _loop_survives(self, exc: Exception) -> None:
        """The service's polls never raise by contract; if one does anyway (a bug), the
        loop must not end with it: a dead loop froze its row at the last answer for the
        rest of the session. The row shows the error instead (a toast for metrics and
        the sentinel, once per distinct error) and the next poll comes as usual."""
        err = as_etcdtui_error(exc)
        if err.cause != self._last_surprise:
            self._last_surprise = err.cause
            report(self.app, err)

    async def check_consistency(self) -> None:
        """HashKV on every member (read-only: nothing is written, even on a writable
        session)."""
        from etcdtui.ops.health import check_consistency_on

        try:
            report = await check_consistency_on(self.service, with_alarms=False)
        except EtcdtuiError as exc:
            self.app.post_message(ConsistencyChecked(ConsistencyPoll(None, exc.cause)))
            return
        except Exception as exc:
            self._loop_survives(exc)
            return
        self.app.post_message(ConsistencyChecked(ConsistencyPoll(report)))

    async def _sentinel_loop(self) -> None:
        """Rate-limited: one check, then ``consistency_every`` seconds of rest. The first
        check waits two refreshes, so start-up is not slowed by it."""
        await asyncio.sleep(2 * self.interval)
        while True:
            await self._resumed.wait()
            await self.check_consistency()
            await asyncio.sleep(self.consistency_every)

    async def poll_once(self) -> None:
        """Members, then every endpoint concurrently (tests, snapshots, `r`)."""
        await self.poll_members(with_alarms=True)
        await asyncio.gather(*(self.poll_endpoint(u) for u in self.service.all_endpoints()))

    # --- loops -------------------------------------------------------------------------------

    async def _pace(self, started: float) -> None:
        await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started)))
        await self._resumed.wait()

    async def _members_loop(self) -> None:
        while True:
            await self._resumed.wait()
            started = time.monotonic()
            await self.poll_members()
            self._sync_endpoint_loops()
            await self._pace(started)

    async def _endpoint_loop(self, url: str) -> None:
        while True:
            await self._resumed.wait()
            started = time.monotonic()
            await self.poll_endpoint(url)
            await self._pace(started)

    async def _metrics_loop(self, url: str) -> None:
        """Each member's /metrics on its own loop and deadline (a hung one delays nobody).
        The first scrape waits one interval: start-up belongs to the first frame."""
        await asyncio.sleep(self.interval)
        while True:
            await self._resumed.wait()
            started = time.monotonic()
            await self.poll_metrics(url)
            await asyncio.sleep(
                max(0.0, max(self.interval, METRICS_EVERY_S) - (time.monotonic() - started))
            )

    def _sync_endpoint_loops(self, endpoints: list[str] | None = None) -> None:
        wanted = set(self.service.all_endpoints() if endpoints is None else endpoints)
        for url in sorted(wanted - set(self._loops)):
            self._loops[url] = self.app.run_worker(
                self._endpoint_loop(url), group="poll", name=f"poll {url}", exit_on_error=False
            )
        for url in set(self._loops) - wanted:
            self._loops.pop(url).cancel()
        scraped = set(self.service.metrics_urls()) or wanted
        for url in sorted(scraped - set(self._metric_loops)):
            self._metric_loops[url] = self.app.run_worker(
                self._metrics_loop(url), group="poll", name=f"metrics {url}", exit_on_error=False
            )
        for url in set(self._metric_loops) - scraped:
            self._metric_loops.pop(url).cancel()
