"""A read-only second transport: etcd's gRPC-JSON gateway over the standard library.

`etcdtui status` is a one-shot command; loading grpcio and protobuf costs it more than
the three etcdctl calls it replaces take in all (see docs/benchmarks.md). etcd serves
the same RPCs as JSON on its client port (``POST /v3/cluster/member/list`` and so on),
so the reads of `etcdtui status` (:mod:`etcdtui.services.quick_status`, the reads of
:meth:`ClusterService.overview`) go there over the standard library's blocking sockets,
on threads: without asyncio, whose import alone costs a third of etcdctl's time. A
member's requests can share one kept-alive connection (:class:`Connection`).

What it shares with the gRPC channel, so the two cannot drift apart: the endpoint
parsing (:mod:`.endpoint`), the TLS files and their checks (:mod:`.credentials`), the
per-call deadline (``settings.timeout``) and the diagnosis of every failure
(:func:`.diagnosis.classify_status`, which runs the same TLS probe). An etcd refusal
comes back from the gateway as a gRPC status code and message, and is classified as
the gRPC channel classifies it.

JSON facts the readers rely on: int64/uint64 fields are strings, fields at their
default value are left out, field names are the proto's own. Answers are read up to
:data:`MAX_ANSWER_BYTES`.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from types import SimpleNamespace

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import N_, _
from etcdtui.services.etcdapi.credentials import TLSMaterial, ascii_host, ssl_context
from etcdtui.services.etcdapi.diagnosis import classify_status_blocking
from etcdtui.services.etcdapi.endpoint import Endpoint, split_endpoint

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any

MAX_ANSWER_BYTES = 8 * 1024 * 1024

# google.rpc.Code numbers, as the gateway reports an etcd refusal ({"code": 7, ...}).
_GRPC_CODES = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}
_ALARMS = {"NONE": 0, "NOSPACE": 1, "CORRUPT": 2}


class GatewayUnusable(errors.ConnectionFailure):
    """The gateway cannot give the answer gRPC would: it is switched off (HTTP 404 on
    /v3/), or etcd refused the request for want of the client certificate's identity
    (the gateway forwards requests without it). The caller asks again over gRPC."""

    code = "gateway-unusable"
    default_title = N_("gRPC-JSON gateway not usable")
    default_fix = N_(
        "etcdtui status asks again over gRPC by itself; set ETCDTUI_STATUS_TRANSPORT=grpc "
        "to skip the gateway."
    )


class GatewayClient:
    """One endpoint: a TLS connection per request unless the caller keeps one open for
    several (:class:`Connection`), the deadline on each request.
    Blocking: every request runs on a thread of its own (:mod:`etcdtui.services.quick_status`),
    bounded by socket timeouts that add up to the deadline."""

    def __init__(self, endpoint: Endpoint, settings: ConnectionSettings, pool: GatewayPool):
        self.endpoint = endpoint
        self.settings = settings
        self._pool = pool

    @property
    def url(self) -> str:
        return self.endpoint.url

    def _post(
        self, path: str, body: dict[str, Any], conn: Connection | None = None
    ) -> dict[str, Any]:
        """One request within the deadline, on ``conn`` when given (kept open for the
        next request), else on a connection of its own. A new connection (TCP, then TLS)
        gets half of the deadline: a member that accepts TCP but never finishes the
        handshake (SIGSTOPped) is named then, in the words of the probe the gRPC path
        runs for the same member."""
        deadline = self.settings.timeout
        start = time.monotonic()

        def left() -> float:
            return deadline - (time.monotonic() - start)

        try:
            conn = conn or Connection(self, keep=False)
            data = json.dumps(body).encode()
            try:
                status_line, _head, payload = conn.request(
                    "POST", path, data, start + deadline, connect_budget=deadline / 2
                )
                status = int(status_line.split(" ", 2)[1])
            except TimeoutError:
                raise classify_status_blocking("DEADLINE_EXCEEDED", "", self) from None
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise classify_status_blocking(
                "UNAVAILABLE", str(exc) or type(exc).__name__, self, remaining=left()
            ) from None
        answer = _json_object(payload)
        if status == 200 and answer is not None:
            return answer
        if status == 404 or answer is None or not isinstance(answer.get("code"), int):
            # Not a gRPC status in JSON: the gateway is off (HTTP 404), or the server
            # refused the gateway itself, e.g. etcd with auth on and a client certificate
            # ("CommonName of client sending a request against gateway will be ignored"):
            # only gRPC carries the certificate's identity. gRPC gives the real answer.
            first = payload.split(b"\n", 1)[0][:160].decode("utf-8", "replace").strip()
            if status == 404:
                why = _("HTTP 404 on {path} from {url}: the gateway is off").format(
                    path=path, url=self.url
                )
            else:
                why = _("{url} refused the gRPC-JSON gateway: HTTP {status} {text}").format(
                    url=self.url, status=status, text=first
                )
            self._pool.unusable = why
            raise GatewayUnusable(why, endpoint=self.url)
        code = _GRPC_CODES.get(answer["code"], "UNKNOWN")
        message = str(answer.get("message") or answer.get("error") or "")
        failure = classify_status_blocking(code, message, self, remaining=left())
        if isinstance(failure, errors.AuthFailed | errors.PermissionDenied):
            self._pool.unusable = _("etcd refused a gateway request: {why}").format(why=message)
        raise failure

    def _connect(self, budget: float) -> socket.socket:
        ep = self.endpoint
        start = time.monotonic()
        try:
            host = ascii_host(ep.host)
            sock = socket.create_connection((host, ep.port), timeout=budget)  # type: ignore[arg-type]
        except TimeoutError:
            from etcdtui.services.etcdapi.probe import connect_timed_out

            raise connect_timed_out(ep) from None
        if not ep.secure:
            return sock
        try:
            ctx = self._pool.ssl_context()
            sock.settimeout(max(budget - (time.monotonic() - start), 0.001))
            # the handshake runs here, within the socket's timeout
            name = ascii_host(self.settings.server_name or ep.host)
            return ctx.wrap_socket(sock, server_hostname=name)  # type: ignore[arg-type]
        except TimeoutError:
            sock.close()
            from etcdtui.services.etcdapi.probe import hung_handshake

            raise hung_handshake(ep) from None
        except BaseException:
            sock.close()
            raise

    def _read(
        self, path: str, body: dict[str, Any], convert: Any, conn: Connection | None = None
    ) -> Any:
        answer = self._post(path, body, conn)
        try:
            return convert(answer)
        except (TypeError, ValueError) as exc:
            raise errors.ConnectionFailure(
                _("unreadable answer from the gRPC-JSON gateway at {path}: {why}").format(
                    path=path, why=exc
                ),
                endpoint=self.url,
            ) from None

    # --- the reads of ClusterService.overview, answered like the gRPC stubs' -------------

    def member_list(self, *, linearizable: bool) -> Any:
        body = {"linearizable": linearizable}
        return self._read("/v3/cluster/member/list", body, _member_list)

    def status(self, conn: Connection | None = None) -> Any:
        """Status, on ``conn`` when given (the member's /metrics follows on it)."""
        return self._read("/v3/maintenance/status", {}, _status, conn)

    def health_read(self, *, serializable: bool, conn: Connection | None = None) -> Any:
        """The read `etcdctl endpoint health` makes: key "health" (counted only)."""
        body = {"key": "aGVhbHRo", "serializable": serializable, "count_only": True}
        return self._read("/v3/kv/range", body, _range, conn)

    def alarm_list(self) -> Any:
        return self._read("/v3/maintenance/alarm", {"action": "GET"}, _alarm_list)


def _member_list(a: dict[str, Any]) -> Any:
    return SimpleNamespace(header=_header(a), members=[_member(m) for m in _list(a, "members")])


def _range(a: dict[str, Any]) -> Any:
    return SimpleNamespace(header=_header(a), count=_int(a, "count"))


def _alarm_list(a: dict[str, Any]) -> Any:
    alarms = [
        SimpleNamespace(memberID=_int(x, "memberID"), alarm=_alarm(x.get("alarm")))
        for x in _list(a, "alarms")
        if isinstance(x, dict)
    ]
    return SimpleNamespace(header=_header(a), alarms=alarms)


def _status(a: dict[str, Any]) -> Any:
    info = _dict(a, "downgradeInfo")
    return SimpleNamespace(
        header=_header(a),
        version=_str(a, "version"),
        dbSize=_int(a, "dbSize"),
        leader=_int(a, "leader"),
        raftIndex=_int(a, "raftIndex"),
        raftTerm=_int(a, "raftTerm"),
        raftAppliedIndex=_int(a, "raftAppliedIndex"),
        errors=[str(e) for e in _list(a, "errors")],
        dbSizeInUse=_int(a, "dbSizeInUse"),
        isLearner=bool(a.get("isLearner", False)),
        storageVersion=_str(a, "storageVersion"),
        dbSizeQuota=_int(a, "dbSizeQuota"),
        downgradeInfo=SimpleNamespace(
            enabled=bool(info.get("enabled", False)),
            targetVersion=_str(info, "targetVersion"),
        ),
    )


class Connection:
    """One connection to an endpoint for requests in turn (HTTP/1.1).

    A TLS connection costs the client about 2 ms of CPU, more than a small request on
    it: `etcdtui status` asks each member's Status and then its /metrics on one
    (``keep=True``). The connection is opened by the first request and kept only after
    an answer that was read to its end and that the server did not close; any failure
    (a timeout above all: the member may be hung) closes it, so a later request never
    waits on a dead connection, it opens a new one within its own deadline. A request
    on a kept connection that the server closed before answering is sent once more on
    a new one (HTTP clients do this: the server may close an idle connection at any
    time). ``keep=False``: one request, ``Connection: close``."""

    def __init__(self, client: GatewayClient, *, keep: bool = True) -> None:
        self.client = client
        self.keep = keep
        self.sock: socket.socket | None = None
        self.requests = 0  # answered on the connection now open (tests look)
        self.opened = 0  # connections opened (tests look)

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            # no TLS close_notify exchange: it only costs time
            sock.close()

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None,
        until: float,
        *,
        connect_budget: float,
        headers: str = "",
        limit: int = MAX_ANSWER_BYTES,
    ) -> tuple[str, dict[str, str], bytes]:
        """Send one request and read its answer: (status line, headers, body). Every
        socket operation gets what is left until ``until`` (TimeoutError once spent)."""
        reused = self.sock is not None
        try:
            return self._request(method, path, data, until, connect_budget, headers, limit)
        except (ConnectionResetError, BrokenPipeError, _ClosedEarly):
            if not reused:
                raise
        return self._request(method, path, data, until, connect_budget, headers, limit)

    def _request(
        self,
        method: str,
        path: str,
        data: bytes | None,
        until: float,
        connect_budget: float,
        headers: str,
        limit: int,
    ) -> tuple[str, dict[str, str], bytes]:
        if self.sock is None:
            budget = min(connect_budget, until - time.monotonic())
            self.sock = self.client._connect(max(budget, 0.001))
            self.opened += 1
            self.requests = 0
        sock = self.sock
        try:
            body = data or b""
            head = (
                f"{method} {path} HTTP/1.1\r\nHost: {self.client.endpoint.target}\r\n"
                + ("" if self.keep else "Connection: close\r\n")
                + (
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                    if data is not None
                    else ""
                )
                + headers
                + "\r\n"
            )
            sock.settimeout(max(until - time.monotonic(), 0.001))
            sock.sendall(head.encode("ascii") + body)
            status_line, answer_headers, payload, reusable = _read_answer(sock, until, limit)
        except BaseException:
            self.close()
            raise
        self.requests += 1
        if not (reusable and self.keep):
            self.close()
        return status_line, answer_headers, payload


class _ClosedEarly(OSError):
    """The server closed the connection before the first byte of an answer."""


def _read_answer(
    sock: socket.socket, until: float, limit: int
) -> tuple[str, dict[str, str], bytes, bool]:
    """One HTTP/1.x answer: (status line, headers with lower-case names, body, whether the
    connection may carry another request). The body is framed by Content-Length, by
    chunks, or (neither) by the server closing; it is read up to ``limit`` bytes."""
    buf = bytearray()

    def more() -> bool:
        sock.settimeout(max(until - time.monotonic(), 0.001))
        chunk = sock.recv(65536)
        buf.extend(chunk)
        return bool(chunk)

    while (end := buf.find(b"\r\n\r\n")) < 0:  # bounded: the head is at most 64 KiB
        if len(buf) > 65536:
            raise ValueError(_("not an HTTP answer"))
        if not more():
            if not buf:
                raise _ClosedEarly(_("the server closed the connection before answering"))
            raise ValueError(_("not an HTTP answer"))
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    del buf[: end + 4]
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(_("not an HTTP answer"))
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _sep, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    reusable = parts[0] == "HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    too_big = ValueError(_("answer larger than {n} bytes").format(n=limit))
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        pos = 0
        while True:  # bounded: every turn consumes a chunk, the body is limited
            while (nl := buf.find(b"\r\n", pos)) < 0:
                if len(buf) - pos > 1024 or not more():
                    raise ValueError(_("not an HTTP answer"))
            size = int(bytes(buf[pos:nl]).split(b";", 1)[0], 16)  # ValueError if bad
            pos = nl + 2
            if size == 0:
                while buf.find(b"\r\n", pos) != pos:  # trailer lines, then an empty one
                    nl = buf.find(b"\r\n", pos)
                    if nl >= 0:
                        pos = nl + 2
                    elif len(buf) - pos > 65536 or not more():
                        raise ValueError(_("not an HTTP answer"))
                break
            if len(body) + size > limit:
                raise too_big
            while len(buf) < pos + size + 2:
                if not more():
                    raise ValueError(_("not an HTTP answer"))
            body += buf[pos : pos + size]
            pos += size + 2
            if pos > 1 << 20:  # drop what is consumed now and then (no quadratic copying)
                del buf[:pos]
                pos = 0
        payload = bytes(body)
    elif "content-length" in headers:
        length = int(headers["content-length"])  # ValueError if bad
        if length > limit:
            raise too_big
        while len(buf) < length:
            if not more():
                raise ValueError(_("not an HTTP answer"))
        payload = bytes(buf[:length])
    else:
        while len(buf) <= limit and more():
            pass
        if len(buf) > limit:
            raise too_big
        payload, reusable = bytes(buf), False
    if headers.get("content-encoding", "identity").lower() != "identity":
        raise ValueError(_("answer in an encoding not asked for"))
    return lines[0], headers, payload, reusable


class GatewayPool:
    """The gateway clients of one cluster: what :class:`ClientPool` offers the reads."""

    def __init__(self, settings: ConnectionSettings) -> None:
        if not settings.endpoints:
            raise errors.ConfigError(_("no endpoints to connect to"))
        self.settings = settings
        self.endpoints = [split_endpoint(e, insecure=settings.insecure) for e in settings.endpoints]
        self._tls = TLSMaterial.load(settings) if any(e.secure for e in self.endpoints) else None
        self._ctx: ssl.SSLContext | None = None
        self._ctx_lock = threading.Lock()
        self._clients: dict[str, GatewayClient] = {}
        # Why the answer must come from gRPC instead, once a request has shown it.
        self.unusable: str | None = None
        # A request without a kept connection is a TLS connection of its own:
        # ClusterService asks one endpoint at a time for what one endpoint answers (the
        # member list), the next when the last failed or stayed silent this long.
        self.hedge = 0.3

    def ssl_context(self) -> ssl.SSLContext:
        """Built on first use; a failure (key not matching the certificate) raises
        ssl.SSLError into the request, which the diagnosis names as gRPC's would be."""
        with self._ctx_lock:  # the requests' threads ask at once: build it once
            if self._ctx is None:
                if self._tls is None:
                    self._tls = TLSMaterial.load(self.settings)
                self._ctx = ssl_context(self.settings, self._tls)
            return self._ctx

    def client(self, url: str) -> GatewayClient:
        known = self._clients.get(url)  # as given: no parsing for every request
        if known is not None:
            return known
        ep = split_endpoint(url, insecure=self.settings.insecure)
        existing = self._clients.get(ep.url)
        if existing is None:
            existing = self._clients[ep.url] = GatewayClient(ep, self.settings, self)
        self._clients[url] = existing
        return existing

    def all(self) -> list[GatewayClient]:
        return [self.client(e.url) for e in self.endpoints]

    def close(self) -> None:
        self._clients = {}


def _json_object(payload: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _dict(a: dict[str, Any], name: str) -> dict[str, Any]:
    v = a.get(name)
    return v if isinstance(v, dict) else {}


def _list(a: dict[str, Any], name: str) -> list[Any]:
    v = a.get(name)
    return v if isinstance(v, list) else []


def _int(a: dict[str, Any], name: str) -> int:
    """(u)int64 fields come as decimal strings, smaller ones as numbers."""
    v = a.get(name, 0)
    try:
        return int(v)
    except (TypeError, ValueError):
        raise ValueError(_("field {name} is not a number").format(name=name)) from None


def _str(a: dict[str, Any], name: str) -> str:
    v = a.get(name, "")
    return v if isinstance(v, str) else str(v)


def _alarm(v: Any) -> int:
    if isinstance(v, int):
        return v
    return _ALARMS.get(str(v), 0)


def _header(a: dict[str, Any]) -> Any:
    h = _dict(a, "header")
    return SimpleNamespace(
        cluster_id=_int(h, "cluster_id"),
        member_id=_int(h, "member_id"),
        revision=_int(h, "revision"),
        raft_term=_int(h, "raft_term"),
    )


def _member(m: Any) -> Any:
    m = m if isinstance(m, dict) else {}
    return SimpleNamespace(
        ID=_int(m, "ID"),
        name=_str(m, "name"),
        peerURLs=[str(u) for u in _list(m, "peerURLs")],
        clientURLs=[str(u) for u in _list(m, "clientURLs")],
        isLearner=bool(m.get("isLearner", False)),
    )
