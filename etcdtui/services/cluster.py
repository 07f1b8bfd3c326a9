"""ClusterService: everything the console asks of a live etcd cluster.

Reads fan out to every endpoint concurrently, each with its own deadline, so one
hung member never delays the answer from the others. Mutations go to one healthy
endpoint (the leader when known), re-read the member list before and after, and
append a record to the audit log whether they succeed or fail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from etcdtui import errors
from etcdtui.cluster_data import (
    Alarm,
    ClusterReading,
    ConnectionSettings,
    EndpointHealth,
    EndpointStatus,
    HashKV,
    Member,
    MemberList,
)
from etcdtui.domain.retry import Backoff
from etcdtui.i18n import _
from etcdtui.services.etcdapi.endpoint import split_endpoint
from etcdtui.services.readings import (
    alarms_from,
    client_urls,
    health_verdict,
    status_failed,
    status_from,
)
from etcdtui.services.readings import best_failure as _best_failure
from etcdtui.services.readings import member_from as _member
from etcdtui.services.readings import member_list_from as _member_list
from etcdtui.services.readings import pick_endpoint as _pick_endpoint
from etcdtui.services.retry import retry_async

if TYPE_CHECKING:
    from etcdtui.services.audit import AuditLog
    from etcdtui.services.etcdapi.connection import ClientPool, EndpointClient
    from etcdtui.services.metrics import ContextCache

T = TypeVar("T")

# Errors after which a mutation certainly never reached the server: safe to try elsewhere.
_NOT_SENT = (errors.Unreachable, errors.TLSError, errors.NotEtcd)


class ClusterService:
    """The console's view of one cluster. Create once per context; close when done."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        audit: AuditLog | None = None,
    ) -> None:
        """The gRPC pool. (`etcdtui status` reads through the gRPC-JSON gateway on
        threads instead: :mod:`etcdtui.services.quick_status`.)"""
        from etcdtui.services.etcdapi.connection import ClientPool

        self.settings = settings
        self.pool: ClientPool = ClientPool(settings)
        self.audit = audit
        self._known_client_urls: list[str] = []
        self.last_members: MemberList | None = None
        self._scrape_tls: ContextCache | None = None  # the console's scrapes share one

    async def close(self) -> None:
        await self.pool.close()

    async def __aenter__(self) -> ClusterService:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- endpoint sets ------------------------------------------------------------------

    def configured_endpoints(self) -> list[str]:
        return [e.url for e in self.pool.endpoints]

    def metrics_urls(self) -> list[str]:
        """Where to scrape /metrics: the context's metrics-urls (etcd's
        --listen-metrics-urls) when given, else every client endpoint."""
        from etcdtui.services.metrics import scrape_urls

        return scrape_urls(self.settings, self.all_endpoints())

    def all_endpoints(self) -> list[str]:
        """Configured endpoints plus any client URL the member list advertised."""
        seen: dict[str, None] = {}
        for url in [*self.configured_endpoints(), *self._known_client_urls]:
            try:
                seen[split_endpoint(url, insecure=self.settings.insecure).url] = None
            except errors.EtcdtuiError:
                continue
        return list(seen)

    # --- reads ------------------------------------------------------------------------

    async def _first_success(
        self,
        fn: Callable[[EndpointClient], Coroutine[Any, Any, T]],
        urls: Sequence[str] | None = None,
    ) -> T:
        """Ask every endpoint at once; return the first answer, raise if all fail."""
        clients = [self.pool.client(u) for u in (urls or self.all_endpoints())]
        tasks = [asyncio.create_task(fn(c)) for c in clients]
        failures: list[BaseException] = []
        try:
            for fut in asyncio.as_completed(tasks):
                try:
                    return await fut
                except errors.EtcdtuiError as exc:
                    failures.append(exc)
        finally:
            for t in tasks:
                # losers may still fail after we return: retrieve their exception so asyncio
                # never prints "Task exception was never retrieved" on the operator's terminal
                t.add_done_callback(_consume)
                t.cancel()
        raise _best_failure(failures)

    async def members(self) -> MemberList:
        """The member list, linearizable when a leader can confirm it.

        While the leader is hung or an election runs, linearizable reads fail everywhere;
        the serializable answer a member gives from its own state is used instead, so the
        console still shows who is in the cluster."""

        def ask(linearizable: bool) -> Callable[[EndpointClient], Coroutine[Any, Any, MemberList]]:
            async def one(c: EndpointClient) -> MemberList:
                resp = await c.member_list(linearizable=linearizable)
                return _member_list(resp.header, resp.members)

            return one

        local = asyncio.create_task(self._first_success(ask(False)))
        try:
            result = await self._first_success(ask(True))
        except errors.EtcdtuiError as exc:
            try:
                result = await local
            except errors.EtcdtuiError:
                raise exc from None
        finally:
            if not local.done():
                local.cancel()
        self._remember(result)
        return result

    def _remember(self, members: MemberList) -> None:
        self.last_members = members
        self._known_client_urls = client_urls(members, insecure=self.settings.insecure)

    async def endpoint_status(self, url: str) -> EndpointStatus:
        """Status of one endpoint. Never raises: a failure is returned as ok=False."""
        client = self.pool.client(url)
        start = time.perf_counter()
        try:
            resp = await client.status()
        except errors.EtcdtuiError as exc:
            return status_failed(client.url, exc, (time.perf_counter() - start) * 1000.0)
        return status_from(client.url, resp, (time.perf_counter() - start) * 1000.0)

    async def statuses(self, urls: Sequence[str] | None = None) -> tuple[EndpointStatus, ...]:
        targets = list(urls or self.all_endpoints())
        return tuple(await asyncio.gather(*(self.endpoint_status(u) for u in targets)))

    async def endpoint_health(self, url: str) -> EndpointHealth:
        """Healthy when a linearizable read through this endpoint commits in time.

        A learner refuses linearizable reads; it is judged by a serializable read."""
        client = self.pool.client(url)
        start = time.perf_counter()
        for serializable in (False, True):
            try:
                await client.health_read(serializable=serializable)
                break
            except errors.EtcdtuiError as exc:
                verdict = health_verdict(exc, serializable=serializable)
                if verdict == "healthy":
                    break  # answered through raft: the member is healthy
                if verdict == "retry":
                    continue
                return EndpointHealth(
                    client.url,
                    False,
                    str(exc.cause),
                    exc.code,
                    (time.perf_counter() - start) * 1000.0,
                )
        return EndpointHealth(client.url, True, None, None, (time.perf_counter() - start) * 1000.0)

    async def health(self, urls: Sequence[str] | None = None) -> tuple[EndpointHealth, ...]:
        targets = list(urls or self.all_endpoints())
        return tuple(await asyncio.gather(*(self.endpoint_health(u) for u in targets)))

    async def alarms(self, url: str | None = None) -> tuple[Alarm, ...]:
        """Active alarms. etcd serves even an alarm read as a raft proposal, so only one
        endpoint is asked: ``url``, else the leader, else the first that answers Status."""
        if url is None:
            statuses = await self.statuses()
            url = _pick_endpoint(statuses)
            if url is None:
                raise _best_failure(
                    [errors.Unreachable(s.error or "", endpoint=s.endpoint) for s in statuses]
                )
        resp = await self.pool.client(url).alarm_list()
        return alarms_from(resp)

    async def overview(self, *, with_health: bool = True) -> ClusterReading:
        """Members, per-endpoint status and health, and alarms, all at once.

        Every known endpoint is asked immediately, in parallel with the member list;
        endpoints the member list reveals are asked as soon as it arrives. Each endpoint
        has its own deadline, so a hung member costs one deadline and never delays the
        others."""
        known = self.all_endpoints()
        members_t = asyncio.create_task(self.members())
        status_t = {u: asyncio.create_task(self.endpoint_status(u)) for u in known}
        health_t = (
            {u: asyncio.create_task(self.endpoint_health(u)) for u in known} if with_health else {}
        )
        alarms_t = asyncio.create_task(self.alarms(known[0])) if known else None
        members_error: str | None = None
        members_error_code: str | None = None
        try:
            members: MemberList | None = await members_t
        except errors.EtcdtuiError as exc:
            members, members_error, members_error_code = None, exc.cause, exc.code
        for url in self.all_endpoints():
            if url not in status_t:
                status_t[url] = asyncio.create_task(self.endpoint_status(url))
                if with_health:
                    health_t[url] = asyncio.create_task(self.endpoint_health(url))
        statuses = tuple([await t for t in status_t.values()])
        health = tuple([await t for t in health_t.values()])
        alarms: tuple[Alarm, ...] = ()
        try:
            if alarms_t is None:
                raise errors.Unreachable(_("no endpoint"))
            alarms = await alarms_t
        except errors.EtcdtuiError:
            target = _pick_endpoint(statuses)
            if target is not None and target != known[0]:
                try:
                    alarms = await self.alarms(target)
                except errors.EtcdtuiError:
                    alarms = ()
        return ClusterReading(members, statuses, health, alarms, members_error, members_error_code)

    async def leader(self) -> int | None:
        return ClusterReading(None, await self.statuses()).leader

    async def hashkv(self, revision: int | None = None) -> tuple[HashKV, ...]:
        """HashKV of every endpoint at one common revision (the leader's current one)."""
        from etcdtui.services.etcdapi import rpc_pb2

        statuses = await self.statuses()
        if revision is None:
            revs = [s.revision for s in statuses if s.ok]
            if not revs:
                raise _best_failure([errors.Unreachable(s.error or "") for s in statuses])
            revision = min(revs)

        async def one(url: str) -> HashKV:
            c = self.pool.client(url)
            try:
                r = await c.call(c.maintenance.HashKV, rpc_pb2.HashKVRequest(revision=revision))
            except errors.EtcdtuiError as exc:
                return HashKV(c.url, 0, 0, revision or 0, 0, exc.cause)
            return HashKV(c.url, r.header.member_id, r.hash, revision or 0, r.compact_revision)

        return tuple(await asyncio.gather(*(one(s.endpoint) for s in statuses)))

    async def auth_enabled(self) -> bool | None:
        from etcdtui.services.etcdapi import rpc_pb2

        async def ask(c: EndpointClient) -> bool:
            resp = await c.call(c.auth.AuthStatus, rpc_pb2.AuthStatusRequest())
            return bool(resp.enabled)

        try:
            return await self._first_success(ask)
        except errors.EtcdtuiError:
            return None

    # --- keys (drills, tests, snapshots --live) ---------------------------------------

    async def put(self, key: bytes, value: bytes, *, lease: int = 0) -> int:
        from etcdtui.services.etcdapi import rpc_pb2

        async def send(c: EndpointClient) -> int:
            req = rpc_pb2.PutRequest(key=key, value=value, lease=lease)
            resp = await c.call(c.kv.Put, req)
            return int(resp.header.revision)

        return await self._on_one_endpoint(send)

    async def get(
        self,
        key: bytes,
        range_end: bytes = b"",
        *,
        limit: int = 0,
        keys_only: bool = False,
        revision: int = 0,
        url: str | None = None,
    ) -> Any:
        from etcdtui.services.etcdapi import rpc_pb2

        req = rpc_pb2.RangeRequest(
            key=key, range_end=range_end, limit=limit, keys_only=keys_only, revision=revision
        )
        if url is not None:
            c = self.pool.client(url)
            return await c.call(c.kv.Range, req)

        async def ask(c: EndpointClient) -> Any:
            return await c.call(c.kv.Range, req)

        return await self._on_one_endpoint(ask)

    async def compact(self, revision: int, *, physical: bool = True) -> None:
        from etcdtui.services.etcdapi import rpc_pb2

        async def send(c: EndpointClient) -> None:
            await c.call(
                c.kv.Compact, rpc_pb2.CompactionRequest(revision=revision, physical=physical)
            )

        await self._mutate("compact", {"revision": revision}, lambda: self._on_one_endpoint(send))

    # --- mutations ----------------------------------------------------------------------

    async def _on_one_endpoint(
        self, fn: Callable[[EndpointClient], Awaitable[T]], prefer: Sequence[str] = ()
    ) -> T:
        """Send to one endpoint; move on only when the request certainly was not sent."""
        order = [*prefer, *[u for u in self.all_endpoints() if u not in prefer]]
        failures: list[BaseException] = []
        for url in order:
            try:
                return await fn(self.pool.client(url))
            except _NOT_SENT as exc:
                failures.append(exc)
        raise _best_failure(failures)

    async def _leader_url(self) -> str | None:
        statuses = await self.statuses()
        leader = ClusterReading(None, statuses).leader
        for s in statuses:
            if s.ok and s.member_id == leader:
                return s.endpoint
        return None

    async def _mutate(
        self, action: str, params: dict[str, Any], run: Callable[[], Awaitable[T]]
    ) -> T:
        before = await self._members_or_none()
        try:
            result = await run()
        except errors.EtcdtuiError as exc:
            after = await self._members_or_none()
            self._record(action, params, before, after, error=exc)
            raise
        after = await self._members_or_none()
        self._record(action, params, before, after, result=result)
        return result

    async def _members_or_none(self) -> MemberList | None:
        try:
            return await self.members()
        except errors.EtcdtuiError:
            return None

    def _record(
        self,
        action: str,
        params: dict[str, Any],
        before: MemberList | None,
        after: MemberList | None,
        *,
        result: Any = None,
        error: errors.EtcdtuiError | None = None,
    ) -> None:
        if self.audit is None:
            return
        cluster = after or before
        if isinstance(result, Member):
            result = result.as_dict()
        elif isinstance(result, MemberList):
            result = None
        self.audit.append(
            context=self.settings.context,
            cluster_id=cluster.cluster_id if cluster else None,
            action=action,
            params=params,
            result=result if error is None else None,
            error=error,
            members_before=before,
            members_after=after,
        )

    async def member_add(
        self, peer_urls: Sequence[str], *, learner: bool = True, name: str = ""
    ) -> Member:
        """Add a member. ``name`` (what its etcd will be started with) is not sent to etcd,
        which learns names only when a member starts; it goes to the audit record and the
        added-names store, so the member can be addressed by it before it starts."""
        from etcdtui.services.etcdapi import rpc_pb2

        cluster_id = 0

        async def send(c: EndpointClient) -> Member:
            nonlocal cluster_id
            req = rpc_pb2.MemberAddRequest(peerURLs=list(peer_urls), isLearner=learner)
            resp = await c.call(c.cluster.MemberAdd, req)
            self._remember(_member_list(resp.header, resp.members))
            cluster_id = resp.header.cluster_id
            return _member(resp.member)

        leader = await self._leader_url()
        params: dict[str, Any] = {"peer_urls": list(peer_urls), "learner": learner}
        if name:
            params["name"] = name
        added = await self._mutate(
            "member-add", params, lambda: self._on_one_endpoint(send, [leader] if leader else [])
        )
        if name:
            from etcdtui.services import added_names

            try:
                added_names.remember(cluster_id, added.id, name)
            except OSError:
                pass  # a convenience: the member is added whatever happens to the store
        return added

    async def member_remove(self, member_id: int) -> MemberList:
        from etcdtui.services.etcdapi import rpc_pb2

        async def send(c: EndpointClient) -> MemberList:
            resp = await c.call(c.cluster.MemberRemove, rpc_pb2.MemberRemoveRequest(ID=member_id))
            return _member_list(resp.header, resp.members)

        # Through the leader, but never through the member removed: it applies its own
        # removal and stops, and its answer can be "server stopped" for a removal that was
        # done (the leader's own removal). Its endpoint is tried last, if at all.
        statuses = await self.statuses()
        leader = ClusterReading(None, statuses).leader
        own = {s.endpoint for s in statuses if s.member_id == member_id}
        answering = [s for s in statuses if s.ok and s.endpoint not in own]
        prefer = [s.endpoint for s in answering if s.member_id == leader]
        prefer += [s.endpoint for s in answering if s.endpoint not in prefer]
        return await self._mutate(
            "member-remove", {"id": f"{member_id:x}"}, lambda: self._on_one_endpoint(send, prefer)
        )

    async def member_update(self, member_id: int, peer_urls: Sequence[str]) -> MemberList:
        from etcdtui.services.etcdapi import rpc_pb2

        async def send(c: EndpointClient) -> MemberList:
            req = rpc_pb2.MemberUpdateRequest(ID=member_id, peerURLs=list(peer_urls))
            resp = await c.call(c.cluster.MemberUpdate, req)
            return _member_list(resp.header, resp.members)

        return await self._mutate(
            "member-update",
            {"id": f"{member_id:x}", "peer_urls": list(peer_urls)},
            lambda: self._on_one_endpoint(send),
        )

    async def member_promote(self, member_id: int) -> MemberList:
        from etcdtui.services.etcdapi import rpc_pb2

        async def send(c: EndpointClient) -> MemberList:
            resp = await c.call(c.cluster.MemberPromote, rpc_pb2.MemberPromoteRequest(ID=member_id))
            return _member_list(resp.header, resp.members)

        prefer = [u for u in [await self._leader_url()] if u]
        return await self._mutate(
            "member-promote", {"id": f"{member_id:x}"}, lambda: self._on_one_endpoint(send, prefer)
        )

    async def promote_with_retry(
        self,
        member_id: int,
        *,
        attempts: int = 10,
        first_delay: float = 0.5,
        max_delay: float = 5.0,
        on_retry: Callable[[int, float, errors.EtcdtuiError], None] | None = None,
    ) -> MemberList:
        """Promote, backing off while etcd says the learner is not in sync yet."""
        not_yet: tuple[type[errors.EtcdtuiError], ...] = (
            errors.LearnerNotReady,
            errors.UnhealthyCluster,
            errors.NotLeader,
        )
        return await retry_async(
            lambda: self.member_promote(member_id),
            Backoff(attempts, first_delay, max_delay),
            not_yet,
            on_retry,
        )

    async def move_leader(self, target_id: int) -> None:
        from etcdtui.services.etcdapi import rpc_pb2

        leader_url = await self._leader_url()
        if leader_url is None:
            raise errors.NoLeader(_("no endpoint reports a leader"))

        async def send() -> None:
            c = self.pool.client(leader_url)
            req = rpc_pb2.MoveLeaderRequest(targetID=target_id)
            await c.call(c.maintenance.MoveLeader, req, timeout=max(self.settings.timeout, 10.0))

        await self._mutate("move-leader", {"target": f"{target_id:x}"}, send)

    async def defragment(
        self, url: str, *, note: Mapping[str, Any] | None = None, timeout: float = 120.0
    ) -> float:
        """Defragment one member; returns how long it blocked (seconds). ``note`` adds
        context (member name, order, sizes) to the audit record."""
        from etcdtui.services.etcdapi import rpc_pb2

        c = self.pool.client(url)

        async def send() -> float:
            start = time.perf_counter()
            await c.call(c.maintenance.Defragment, rpc_pb2.DefragmentRequest(), timeout=timeout)
            return round(time.perf_counter() - start, 3)

        return await self._mutate("defragment", {"endpoint": c.url, **(note or {})}, send)

    async def delete(self, key: bytes, range_end: bytes = b"") -> int:
        """Delete one key (or ``[key, range_end)``); returns how many were deleted."""
        from etcdtui.services.etcdapi import rpc_pb2

        async def send(c: EndpointClient) -> int:
            req = rpc_pb2.DeleteRangeRequest(key=key, range_end=range_end)
            resp = await c.call(c.kv.DeleteRange, req)
            return int(resp.deleted)

        return await self._on_one_endpoint(send)

    async def scrape_metrics(self, url: str) -> Any:
        """One member's /metrics (:class:`etcdtui.services.metrics.MemberMetrics`)."""
        from etcdtui.services.metrics import ContextCache, scrape

        ctx = None
        if url.startswith("https:"):
            if self._scrape_tls is None:
                self._scrape_tls = ContextCache(self.settings)
            try:
                ctx = self._scrape_tls.get()
            except errors.EtcdtuiError:
                ctx = None  # scrape() tries again and reports the cause as the sample's
        return await scrape(url, self.settings, ctx=ctx)

    async def disarm_alarms(self) -> tuple[Alarm, ...]:
        from etcdtui.services.etcdapi import rpc_pb2

        current = await self.alarms()

        async def send() -> tuple[Alarm, ...]:
            for alarm in current:
                req = rpc_pb2.AlarmRequest(
                    action=rpc_pb2.AlarmRequest.DEACTIVATE,
                    memberID=alarm.member_id,
                    alarm=alarm.kind,  # the enum value's name: NOSPACE / CORRUPT
                )

                async def send_one(c: EndpointClient, r: Any = req) -> Any:
                    return await c.call(c.maintenance.Alarm, r)

                await self._on_one_endpoint(send_one)
            return current

        return await self._mutate("alarm-disarm", {"alarms": [a.as_dict() for a in current]}, send)


def _consume(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()
