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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

# gRPC's C core logs handshake failures to stderr; we report them ourselves.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import grpc
from grpc import aio

from etcdtui import errors
from etcdtui.i18n import _
from etcdtui.models import ConnectionSettings
from etcdtui.services.etcdapi import rpc_pb2, rpc_pb2_grpc
from etcdtui.services.etcdapi.endpoint import Endpoint, parse_endpoint

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


@dataclass(frozen=True)
class TLSMaterial:
    root: bytes | None
    cert: bytes | None
    key: bytes | None = None  # never logged: dataclass repr is overridden below

    def __repr__(self) -> str:
        return "TLSMaterial(<redacted>)"

    @classmethod
    def load(cls, settings: ConnectionSettings) -> TLSMaterial:
        if (settings.cert is None) != (settings.key is None):
            raise errors.ConfigError(
                _("a client certificate needs both --cert and --key"),
                fix=_("Pass both files, or neither to connect without a client certificate."),
            )
        from etcdtui.tlsfiles import CA, CERT, KEY, load_tls_file

        def read(path: Path | None, kind: str) -> bytes | None:
            return None if path is None else load_tls_file(Path(path), kind)

        return cls(
            root=read(settings.cacert, CA),
            cert=read(settings.cert, CERT),
            key=read(settings.key, KEY),
        )


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
        self.endpoints = [parse_endpoint(e, insecure=settings.insecure) for e in settings.endpoints]
        needs_tls = any(e.secure for e in self.endpoints)
        self._tls = TLSMaterial.load(settings) if needs_tls else None
        self._clients: dict[str, EndpointClient] = {}

    def client(self, url: str) -> EndpointClient:
        ep = parse_endpoint(url, insecure=self.settings.insecure)
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


# --- error classification ---------------------------------------------------------------

_CLUSTER_ERRORS: list[tuple[str, type[errors.EtcdtuiError]]] = [
    ("unhealthy cluster", errors.UnhealthyCluster),
    ("not enough started members", errors.UnhealthyCluster),
    ("no leader", errors.NoLeader),
    ("not leader", errors.NotLeader),
    ("leader changed", errors.NotLeader),
    ("member not found", errors.MemberNotFound),
    ("database space exceeded", errors.NoSpace),
    ("can only promote a learner member which is in sync", errors.LearnerNotReady),
    ("too many learner members", errors.TooManyLearners),
    ("peer urls already exists", errors.PeerURLExists),
    ("authentication failed", errors.AuthFailed),
    ("invalid auth token", errors.AuthFailed),
    ("user name is empty", errors.AuthFailed),
    ("user name not found", errors.AuthFailed),
    ("permission denied", errors.PermissionDenied),
]


async def classify(
    exc: aio.AioRpcError, client: EndpointClient, *, remaining: float | None = None
) -> errors.EtcdtuiError:
    """Turn a gRPC failure into the most specific etcdtui error we can prove.

    ``remaining`` is what is left of the caller's deadline: the diagnostic probe only
    runs within it, so a failing endpoint never makes a caller wait past its deadline."""
    code = exc.code()
    details = exc.details() or ""
    low = details.lower()
    url = client.url
    for needle, cls in _CLUSTER_ERRORS:
        if needle in low:
            return cls(details.removeprefix("etcdserver: "), endpoint=url)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED or (
        remaining is not None and remaining < 0.05 and code == grpc.StatusCode.UNAVAILABLE
    ):
        return errors.DeadlineExceeded(
            _("no answer within {t:.1f} s").format(t=client.settings.timeout), endpoint=url
        )
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return errors.AuthFailed(details, endpoint=url)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return errors.PermissionDenied(details, endpoint=url)
    if code in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.CANCELLED,
    ):
        if code == grpc.StatusCode.UNAVAILABLE and low.startswith("etcdserver:"):
            return errors.ClusterError(details, endpoint=url)
        # Imported here, not at the top: the probe loads cryptography, which the
        # console's start-up does not need. (Not a cycle: the probe imports only
        # etcdapi.endpoint.)
        from etcdtui.services.etcdapi.probe import diagnose

        budget = client.settings.timeout if remaining is None else max(remaining, 0.2)
        diagnosis = await diagnose(client.endpoint, client.settings, details, budget=budget)
        if diagnosis is not None:
            return diagnosis
        return errors.ConnectionFailure(details or str(code), endpoint=url)
    return errors.ClusterError(details or str(code), endpoint=url)
