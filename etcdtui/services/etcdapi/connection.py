"""gRPC connections to etcd: one ``grpc.aio`` channel per endpoint, mTLS, deadlines.

Each endpoint gets its own channel so a hung member (SIGSTOP, partition) can only
ever delay the calls made to it. Every unary call carries a deadline. Failures are
turned into typed :mod:`etcdtui.errors` values by :func:`classify`, with a TLS probe
(:mod:`etcdtui.services.etcdapi.probe`) when gRPC's own message is too vague.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

# gRPC's C core logs handshake failures to stderr; we report them ourselves.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import grpc
from grpc import aio

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import _
from etcdtui.services.etcdapi import rpc_pb2, rpc_pb2_grpc
from etcdtui.services.etcdapi.credentials import TLSMaterial
from etcdtui.services.etcdapi.diagnosis import classify_status
from etcdtui.services.etcdapi.endpoint import Endpoint, split_endpoint

__all__ = ["ClientPool", "EndpointClient", "TLSMaterial", "classify"]

T = TypeVar("T")

# etcd replies can be large (member list of big clusters, snapshot chunks, ranges).
MAX_RECEIVE_BYTES = 512 * 1024 * 1024

_CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
    ("grpc.max_send_message_length", 16 * 1024 * 1024),
    # A member that comes back should be seen within a couple of refreshes.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.enable_retries", 0),
]


class EndpointClient:
    """One endpoint, one channel, typed stubs, deadlines and error classification."""

    def __init__(
        self, endpoint: Endpoint, settings: ConnectionSettings, tls: TLSMaterial | None
    ) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self._tls = tls
        options = list(_CHANNEL_OPTIONS)
        if endpoint.secure:
            assert tls is not None
            if settings.server_name:
                options.append(("grpc.ssl_target_name_override", settings.server_name))
            creds = grpc.ssl_channel_credentials(
                root_certificates=tls.root, private_key=tls.key, certificate_chain=tls.cert
            )
            self.channel = aio.secure_channel(endpoint.target, creds, options=options)
        else:
            self.channel = aio.insecure_channel(endpoint.target, options=options)
        self.kv = rpc_pb2_grpc.KVStub(self.channel)
        self.cluster = rpc_pb2_grpc.ClusterStub(self.channel)
        self.maintenance = rpc_pb2_grpc.MaintenanceStub(self.channel)
        self.auth = rpc_pb2_grpc.AuthStub(self.channel)
        self._token: str | None = None
        self._auth_lock = asyncio.Lock()
        # Set by the pool: fetch a token through another endpoint. A learner refuses
        # Authenticate ("rpc not supported for learner") but serves Status and accepts
        # a token issued by a voter once it has applied that raft entry.
        self.borrow_token: Callable[[EndpointClient, float], Awaitable[str | None]] | None = None

    @property
    def url(self) -> str:
        return self.endpoint.url

    async def close(self) -> None:
        await self.channel.close(grace=None)

    async def _metadata(
        self, timeout: float, *, borrow: bool = True
    ) -> tuple[tuple[str, str], ...] | None:
        if not self.settings.user:
            return None
        async with self._auth_lock:
            if self._token is None:
                req = rpc_pb2.AuthenticateRequest(
                    name=self.settings.user, password=self.settings.password or ""
                )
                try:
                    resp = await self.auth.Authenticate(req, timeout=timeout)
                except aio.AioRpcError as exc:
                    learner = "not supported for learner" in (exc.details() or "")
                    borrowed = (
                        await self.borrow_token(self, timeout)
                        if learner and borrow and self.borrow_token is not None
                        else None
                    )
                    if borrowed is None:
                        raise await classify(exc, self) from None
                    self._token = borrowed
                else:
                    self._token = resp.token
        return (("token", self._token),)

    async def call(
        self,
        method: Callable[..., Awaitable[T]],
        request: Any,
        *,
        timeout: float | None = None,
    ) -> T:
        """Run one unary call with a deadline; raise a classified EtcdtuiError on failure."""
        deadline = timeout if timeout is not None else self.settings.timeout
        for attempt in (1, 2):
            metadata = await self._metadata(deadline)
            start = time.monotonic()
            try:
                return await method(request, timeout=deadline, metadata=metadata)
            except aio.AioRpcError as exc:
                details = exc.details() or ""
                if attempt == 1 and self.settings.user and "invalid auth token" in details:
                    self._token = None  # expired simple token: log in again once
                    continue
                remaining = deadline - (time.monotonic() - start)
                raise await classify(exc, self, remaining=remaining) from None
            except asyncio.CancelledError:
                raise
        raise AssertionError("unreachable")

    # --- the reads `status` makes, named so the gateway transport can offer the same ---

    async def member_list(self, *, linearizable: bool) -> Any:
        req = rpc_pb2.MemberListRequest(linearizable=linearizable)
        return await self.call(self.cluster.MemberList, req)

    async def status(self) -> Any:
        return await self.call(self.maintenance.Status, rpc_pb2.StatusRequest())

    async def health_read(self, *, serializable: bool) -> Any:
        """The read `etcdctl endpoint health` makes: key "health" (counted only)."""
        req = rpc_pb2.RangeRequest(key=b"health", serializable=serializable, count_only=True)
        return await self.call(self.kv.Range, req)

    async def alarm_list(self) -> Any:
        req = rpc_pb2.AlarmRequest(action=rpc_pb2.AlarmRequest.GET)
        return await self.call(self.maintenance.Alarm, req)

    async def timed(
        self, method: Callable[..., Awaitable[T]], request: Any, *, timeout: float | None = None
    ) -> tuple[T, float]:
        start = time.perf_counter()
        result = await self.call(method, request, timeout=timeout)
        return result, (time.perf_counter() - start) * 1000.0

    async def snapshot_stream(self, *, idle_timeout: float = 30.0) -> AsyncIterator[Any]:
        """Yield SnapshotResponse chunks; fail if a read waits more than ``idle_timeout`` s.

        The stall check is one timer re-armed every second, not ``wait_for`` around each
        read: at 32 KiB a message, a task per read cost about a third of the client's CPU.
        Time the consumer spends between reads does not count as a stall."""
        metadata = await self._metadata(self.settings.timeout)
        call = self.maintenance.Snapshot(rpc_pb2.SnapshotRequest(), metadata=metadata)
        loop = asyncio.get_running_loop()
        period = min(1.0, idle_timeout)
        read_since: float | None = None
        stalled = False
        timer: asyncio.TimerHandle | None = None

        def watch() -> None:
            nonlocal timer, stalled
            if read_since is not None and loop.time() - read_since > idle_timeout:
                stalled = True
                call.cancel()
            else:
                timer = loop.call_later(period, watch)

        def stall_error() -> errors.EtcdtuiError:
            return errors.DeadlineExceeded(
                _("the snapshot stream stalled for {s:.0f} s").format(s=idle_timeout),
                endpoint=self.url,
            )

        timer = loop.call_later(period, watch)
        try:
            while True:
                read_since = loop.time()
                try:
                    chunk = await call.read()
                except asyncio.CancelledError:
                    if stalled:  # our watchdog cancelled the call, not the caller the task
                        raise stall_error() from None
                    raise
                read_since = None
                if chunk is aio.EOF:
                    return
                yield chunk
        except aio.AioRpcError as exc:
            if stalled:
                raise stall_error() from None
            raise await classify(exc, self) from None
        finally:
            if timer is not None:
                timer.cancel()
            call.cancel()


class ClientPool:
    """All endpoints of one cluster, one channel each, created lazily and reused."""

    def __init__(self, settings: ConnectionSettings) -> None:
        if not settings.endpoints:
            raise errors.ConfigError(_("no endpoints to connect to"))
        self.settings = settings
        self.endpoints = [split_endpoint(e, insecure=settings.insecure) for e in settings.endpoints]
        needs_tls = any(e.secure for e in self.endpoints)
        self._tls = TLSMaterial.load(settings) if needs_tls else None
        self._clients: dict[str, EndpointClient] = {}

    def client(self, url: str) -> EndpointClient:
        ep = split_endpoint(url, insecure=self.settings.insecure)
        existing = self._clients.get(ep.url)
        if existing is None:
            tls = self._tls
            if ep.secure and tls is None:
                tls = self._tls = TLSMaterial.load(self.settings)
            existing = self._clients[ep.url] = EndpointClient(ep, self.settings, tls)
            existing.borrow_token = self._borrow_token
        return existing

    async def _borrow_token(self, asking: EndpointClient, timeout: float) -> str | None:
        """A token from the first other endpoint that issues one (for a learner)."""
        for ep in self.endpoints:
            if ep.url == asking.url:
                continue
            other = self.client(ep.url)
            try:
                metadata = await other._metadata(timeout, borrow=False)
            except errors.EtcdtuiError:
                continue
            if metadata:
                return metadata[0][1]
        return None

    def all(self) -> list[EndpointClient]:
        return [self.client(e.url) for e in self.endpoints]

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def classify(
    exc: aio.AioRpcError, client: EndpointClient, *, remaining: float | None = None
) -> errors.EtcdtuiError:
    """Turn a gRPC failure into the most specific etcdtui error we can prove
    (:func:`etcdtui.services.etcdapi.diagnosis.classify_status`, shared with the
    gateway transport)."""
    return await classify_status(exc.code().name, exc.details() or "", client, remaining=remaining)
