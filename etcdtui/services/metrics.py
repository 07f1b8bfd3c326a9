"""Each member's Prometheus ``/metrics``, scraped over the same mTLS as the gRPC calls.

etcd serves ``/metrics`` on its client port (and on ``--listen-metrics-urls`` when
set). Each member is scraped on its own task with its own deadline and a bounded read,
so a hung member never delays the others. The text format is parsed here (no
dependency), and histogram quantiles are computed from the cumulative buckets the way
Prometheus' ``histogram_quantile`` does (linear inside the bucket).

Thresholds are etcd's own (contrib/mixin alert rules and the FAQ); see
/docs/maintenance.md "Signals of a sick cluster".
"""

from __future__ import annotations

import math
import re
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings, EndpointStatus
from etcdtui.i18n import _
from etcdtui.records import field, record

MAX_METRICS_BYTES = 8 * 1024 * 1024  # a member's /metrics is ~200 KiB; refuse anything huge

# Families we keep (everything else in the scrape is skipped while parsing).
QUOTA = "etcd_server_quota_backend_bytes"
DB_SIZE = "etcd_mvcc_db_total_size_in_bytes"
DB_IN_USE = "etcd_mvcc_db_total_size_in_use_in_bytes"
WAL_FSYNC = "etcd_disk_wal_fsync_duration_seconds"
BACKEND_COMMIT = "etcd_disk_backend_commit_duration_seconds"
APPLY = "etcd_server_apply_duration_seconds"
PEER_RTT = "etcd_network_peer_round_trip_time_seconds"
LEADER_CHANGES = "etcd_server_leader_changes_seen_total"
PROPOSALS_FAILED = "etcd_server_proposals_failed_total"
PROPOSALS_PENDING = "etcd_server_proposals_pending"
PROPOSALS_APPLIED = "etcd_server_proposals_applied_total"
PROPOSALS_COMMITTED = "etcd_server_proposals_committed_total"
HAS_LEADER = "etcd_server_has_leader"
IS_LEADER = "etcd_server_is_leader"
SERVER_ID = "etcd_server_id"

_WANTED = (
    QUOTA,
    DB_SIZE,
    DB_IN_USE,
    WAL_FSYNC,
    BACKEND_COMMIT,
    APPLY,
    PEER_RTT,
    LEADER_CHANGES,
    PROPOSALS_FAILED,
    PROPOSALS_PENDING,
    PROPOSALS_APPLIED,
    PROPOSALS_COMMITTED,
    HAS_LEADER,
    IS_LEADER,
    SERVER_ID,
)

# etcd's thresholds (contrib/mixin alerts; FAQ healthy values).
WAL_FSYNC_ALERT_S = 0.5
WAL_FSYNC_HEALTHY_S = 0.010
BACKEND_COMMIT_ALERT_S = 0.25
BACKEND_COMMIT_HEALTHY_S = 0.025
PEER_RTT_ALERT_S = 0.15
APPLY_WARN_S = 0.1  # etcd's --warning-apply-duration default: it logs "took too long"
LEADER_CHANGES_ALERT = 4  # in 15 minutes
PROPOSALS_FAILED_ALERT = 5  # in 15 minutes
QUOTA_WARN = 0.80
QUOTA_ALERT = 0.95
RECLAIMABLE_RATIO = 0.5  # in-use below half the total: defrag would reclaim space
WINDOW_S = 15 * 60

Labels = tuple[tuple[str, str], ...]

# a sample line, matched from where the line starts (``match`` anchors there)
_LINE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_text(text: str, wanted: Iterable[str] = _WANTED) -> dict[str, list[tuple[Labels, float]]]:
    """Samples of the wanted families from Prometheus text format.

    Histogram families are kept as their ``_bucket``/``_sum``/``_count`` series under
    the full sample name. Malformed lines are skipped (a scrape is advice, not truth).

    A sample line belongs to a family when it starts with the family's name. The text
    format gives all lines of one family as one group, so each family is found with one
    search and read to the end of its group: the other ~1,500 lines of etcd's /metrics
    (Go runtime, gRPC, process) are never split or looked at, which halves the parse."""
    names = sorted(set(wanted))
    # a name that starts with another wanted name is read with that one's lines
    names = [n for n in names if not any(n != o and n.startswith(o) for o in names)]
    src = text if text.startswith("\n") else "\n" + text
    out: dict[str, list[tuple[Labels, float]]] = {}
    match, labels_of = _LINE.match, _LABEL.findall
    for prefix in names:
        pos = src.find("\n" + prefix)
        while pos >= 0:  # one step per line of the group, which ends the walk
            start = pos + 1
            if not src.startswith(prefix, start):
                break
            pos = src.find("\n", start)
            m = match(src, start, pos if pos >= 0 else len(src))
            if m is None:
                continue
            name, _braces, labels_text, value_text = m.groups()
            try:
                value = float(value_text)
            except ValueError:
                continue
            labels = tuple(sorted(labels_of(labels_text))) if labels_text else ()
            out.setdefault(name, []).append((labels, value))
    return out


@record(frozen=True)
class Histogram:
    """Cumulative buckets (upper bound, count), ascending, with +Inf last."""

    buckets: tuple[tuple[float, float], ...]

    @property
    def count(self) -> float:
        return self.buckets[-1][1] if self.buckets else 0.0

    def minus(self, earlier: Histogram | None) -> Histogram:
        """The observations made since ``earlier`` (a counter reset keeps self)."""
        if earlier is None or len(earlier.buckets) != len(self.buckets):
            return self
        diff = tuple(
            (le, c - e) for (le, c), (_le, e) in zip(self.buckets, earlier.buckets, strict=True)
        )
        if any(c < 0 for _le, c in diff):
            return self
        return Histogram(diff)

    def quantile(self, q: float) -> float | None:
        """``histogram_quantile(q)``: None without observations."""
        total = self.count
        if total <= 0 or not self.buckets:
            return None
        rank = q * total
        prev_le, prev_count = 0.0, 0.0
        for le, count in self.buckets:
            if count >= rank:
                if math.isinf(le):
                    return prev_le  # the highest finite bound, as Prometheus does
                if count == prev_count:
                    return le
                return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
            prev_le, prev_count = le, count
        return prev_le


def histograms(
    samples: Mapping[str, list[tuple[Labels, float]]], family: str, by: str | None = None
) -> dict[str, Histogram]:
    """The family's buckets summed over every label except ``le`` (and ``by``, which
    keys the result; "" when ``by`` is None)."""
    acc: dict[str, dict[float, float]] = {}
    for labels, value in samples.get(family + "_bucket", []):
        d = dict(labels)
        try:
            le = float(d.get("le", "nan").replace("+Inf", "inf"))
        except ValueError:
            continue
        if math.isnan(le):
            continue
        key = d.get(by, "") if by else ""
        acc.setdefault(key, {})
        acc[key][le] = acc[key].get(le, 0.0) + value
    return {k: Histogram(tuple(sorted(v.items()))) for k, v in acc.items()}


def _scalar(samples: Mapping[str, list[tuple[Labels, float]]], name: str) -> float | None:
    values = samples.get(name)
    if not values:
        return None
    return sum(v for _labels, v in values)


@record(frozen=True)
class MemberMetrics:
    """One scrape of one member, reduced to the numbers an operator acts on."""

    endpoint: str
    ok: bool
    error: str | None = None
    member_id: int = 0
    quota_bytes: int | None = None
    db_size: int | None = None
    db_size_in_use: int | None = None
    has_leader: bool | None = None
    is_leader: bool | None = None
    leader_changes: int | None = None
    proposals_failed: int | None = None
    proposals_pending: int | None = None
    proposals_applied: int | None = None
    proposals_committed: int | None = None
    wal_fsync: Histogram | None = None
    backend_commit: Histogram | None = None
    apply: Histogram | None = None
    peer_rtt: Mapping[str, Histogram] = field(default_factory=dict)
    scrape_ms: float = 0.0

    @property
    def quota_ratio(self) -> float | None:
        if not self.quota_bytes or self.db_size is None:
            return None
        return self.db_size / self.quota_bytes

    def p99(self, which: str, earlier: MemberMetrics | None = None) -> float | None:
        h: Histogram | None = getattr(self, which)
        if h is None:
            return None
        before: Histogram | None = getattr(earlier, which) if earlier else None
        return h.minus(before).quantile(0.99)

    def peer_rtt_p99(self, earlier: MemberMetrics | None = None) -> dict[str, float | None]:
        prior = earlier.peer_rtt if earlier else {}
        return {peer: h.minus(prior.get(peer)).quantile(0.99) for peer, h in self.peer_rtt.items()}

    def as_dict(self, earlier: MemberMetrics | None = None) -> dict[str, object]:
        """The `status -o json` "metrics" object. Seconds for durations."""
        return {
            "url": self.endpoint,  # where /metrics was scraped (client or metrics URL)
            "ok": self.ok,
            "error": self.error,
            "quota_backend_bytes": self.quota_bytes,
            "db_total_size_bytes": self.db_size,
            "db_in_use_bytes": self.db_size_in_use,
            "db_quota_usage": _round(self.quota_ratio),
            "has_leader": self.has_leader,
            "is_leader": self.is_leader,
            "leader_changes_seen_total": self.leader_changes,
            "proposals_failed_total": self.proposals_failed,
            "proposals_pending": self.proposals_pending,
            "proposals_applied_total": self.proposals_applied,
            "proposals_committed_total": self.proposals_committed,
            "wal_fsync_p99_seconds": _round(self.p99("wal_fsync", earlier)),
            "backend_commit_p99_seconds": _round(self.p99("backend_commit", earlier)),
            "apply_p99_seconds": _round(self.p99("apply", earlier)),
            "peer_rtt_p99_seconds": {
                k: _round(v) for k, v in sorted(self.peer_rtt_p99(earlier).items())
            },
            "scrape_ms": round(self.scrape_ms, 3),
        }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 6)


def _int(v: float | None) -> int | None:
    return None if v is None else int(v)


def reduce(endpoint: str, text: str, scrape_ms: float = 0.0) -> MemberMetrics:
    """Parse one scrape into :class:`MemberMetrics`."""
    s = parse_text(text)
    member_id = 0
    for labels, _v in s.get(SERVER_ID, []):
        sid = dict(labels).get("server_id", "")
        try:
            member_id = int(sid, 16)
        except ValueError:
            pass
    has_leader = _scalar(s, HAS_LEADER)
    is_leader = _scalar(s, IS_LEADER)
    return MemberMetrics(
        endpoint=endpoint,
        ok=True,
        member_id=member_id,
        quota_bytes=_int(_scalar(s, QUOTA)),
        db_size=_int(_scalar(s, DB_SIZE)),
        db_size_in_use=_int(_scalar(s, DB_IN_USE)),
        has_leader=None if has_leader is None else has_leader >= 1,
        is_leader=None if is_leader is None else is_leader >= 1,
        leader_changes=_int(_scalar(s, LEADER_CHANGES)),
        proposals_failed=_int(_scalar(s, PROPOSALS_FAILED)),
        proposals_pending=_int(_scalar(s, PROPOSALS_PENDING)),
        proposals_applied=_int(_scalar(s, PROPOSALS_APPLIED)),
        proposals_committed=_int(_scalar(s, PROPOSALS_COMMITTED)),
        wal_fsync=histograms(s, WAL_FSYNC).get(""),
        backend_commit=histograms(s, BACKEND_COMMIT).get(""),
        apply=histograms(s, APPLY).get(""),
        peer_rtt=histograms(s, PEER_RTT, by="To"),
        scrape_ms=scrape_ms,
    )


def client_ssl_context(settings: ConnectionSettings) -> ssl.SSLContext:
    """The TLS context of a scrape (CA, client certificate), to share between scrapes.
    Raises ConfigError when the files cannot be loaded."""
    return _ssl_context(settings)


class ContextCache:
    """One scrape TLS context for a long-lived caller (the console scrapes every member
    at every refresh), built again only when the CA, certificate or key file changes
    (a rotated certificate is picked up; each build re-reads and re-parses all three)."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self._stamp: tuple[object, ...] | None = None
        self._ctx: ssl.SSLContext | None = None

    def get(self) -> ssl.SSLContext:
        """The context; raises ConfigError when the files cannot be loaded."""
        stamp = _files_stamp(self.settings)
        if self._ctx is None or stamp != self._stamp:
            self._ctx = _ssl_context(self.settings)
            self._stamp = stamp
        return self._ctx


def _files_stamp(settings: ConnectionSettings) -> tuple[object, ...]:
    import os

    stamp: list[object] = []
    for path in (settings.cacert, settings.cert, settings.key):
        try:
            st = os.stat(path) if path else None
        except OSError:
            st = None
        stamp.append(None if st is None else (st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def _ssl_context(settings: ConnectionSettings) -> ssl.SSLContext:
    from etcdtui.services.etcdapi.credentials import ssl_context

    try:
        ctx = ssl_context(settings)
    except (OSError, ssl.SSLError) as exc:
        raise errors.ConfigError(
            _("cannot load the TLS files for /metrics: {why}").format(why=exc),
            fix=_("Check --cacert, --cert and --key."),
            console_fix=_("Check cacert, cert and key in the context."),
        ) from None
    return ctx


async def _fetch(url: str, settings: ConnectionSettings, ctx: ssl.SSLContext | None) -> str:
    import asyncio

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 2379
    tls = parts.scheme == "https"
    reader, writer = await asyncio.open_connection(
        host,
        port,
        ssl=ctx if tls else None,
        server_hostname=(settings.server_name or host) if tls else None,
        limit=64 * 1024,
    )
    try:
        writer.write(_request(host, port))
        await writer.drain()
        body = bytearray()
        while len(body) <= MAX_METRICS_BYTES:
            chunk = await reader.read(65536)
            if not chunk:
                break
            body += chunk
        _check_size(body)
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass
    return _payload(body)


def _request(host: str, port: int) -> bytes:
    return f"GET /metrics HTTP/1.0\r\nHost: {host}:{port}\r\nAccept: text/plain\r\n\r\n".encode(
        "ascii"
    )


def _check_size(body: bytearray) -> None:
    if len(body) > MAX_METRICS_BYTES:
        raise errors.EtcdtuiError(
            _("/metrics answer larger than {n} bytes").format(n=MAX_METRICS_BYTES),
            title=_("Metrics refused"),
        )


def _payload(body: bytearray) -> str:
    head, _sep, payload = bytes(body).partition(b"\r\n\r\n")
    return answer_text(head.split(b"\r\n", 1)[0].decode("latin-1", "replace"), payload)


def answer_text(status_line: str, payload: bytes) -> str:
    """The scrape's text from an HTTP answer; "Metrics refused" unless it is a 200."""
    if " 200 " not in status_line + " ":
        raise errors.EtcdtuiError(
            _("/metrics answered {status}").format(status=status_line[:80]),
            title=_("Metrics refused"),
        )
    return payload.decode("utf-8", "replace")


def _fetch_blocking(
    url: str, settings: ConnectionSettings, ctx: ssl.SSLContext | None, until: float
) -> str:
    """:func:`_fetch` on the caller's thread: every socket operation gets what is left
    until ``until`` (time.monotonic), TimeoutError once it is spent."""
    import socket
    import time

    def remaining() -> float:
        return max(until - time.monotonic(), 0.001)

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 2379
    from etcdtui.services.etcdapi.credentials import ascii_host

    address = (ascii_host(host), port)
    sock = socket.create_connection(address, timeout=remaining())  # type: ignore[arg-type]
    try:
        if parts.scheme == "https":
            assert ctx is not None
            sock.settimeout(remaining())
            name = ascii_host(settings.server_name or host)
            sock = ctx.wrap_socket(sock, server_hostname=name)  # type: ignore[arg-type]
        sock.settimeout(remaining())
        sock.sendall(_request(host, port))
        body = bytearray()
        while len(body) <= MAX_METRICS_BYTES:
            sock.settimeout(remaining())
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        _check_size(body)
    finally:
        sock.close()
    return _payload(body)


async def scrape(
    url: str,
    settings: ConnectionSettings,
    *,
    timeout: float | None = None,
    ctx: ssl.SSLContext | None = None,
) -> MemberMetrics:
    """Scrape one member. Never raises: a failure comes back as ok=False."""
    import asyncio

    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        if ctx is None and urlsplit(url).scheme == "https":
            ctx = _ssl_context(settings)
        text = await asyncio.wait_for(
            _fetch(url, settings, ctx), timeout or max(settings.timeout, 2.0)
        )
    except TimeoutError:
        return MemberMetrics(url, False, _("no answer within the deadline"))
    except errors.EtcdtuiError as exc:
        return MemberMetrics(url, False, exc.cause)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return MemberMetrics(url, False, str(exc) or type(exc).__name__)
    return reduce(url, text, (loop.time() - start) * 1000.0)


def scrape_blocking(
    url: str,
    settings: ConnectionSettings,
    *,
    timeout: float | None = None,
    ctx: ssl.SSLContext | None = None,
    fetch: Callable[[float], str] | None = None,
) -> MemberMetrics:
    """:func:`scrape` on the caller's thread (`etcdtui status`, which runs without
    asyncio). Never raises: a failure comes back as ok=False. ``fetch(until)``, when
    given, reads the text instead of a connection of the scrape's own (`status` reads
    it on the connection that carried the member's Status)."""
    import time

    start = time.monotonic()
    until = start + (timeout or max(settings.timeout, 2.0))
    try:
        if fetch is not None:
            text = fetch(until)
        else:
            if ctx is None and urlsplit(url).scheme == "https":
                ctx = _ssl_context(settings)
            text = _fetch_blocking(url, settings, ctx, until)
    except TimeoutError:
        return MemberMetrics(url, False, _("no answer within the deadline"))
    except errors.EtcdtuiError as exc:
        return MemberMetrics(url, False, exc.cause)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return MemberMetrics(url, False, str(exc) or type(exc).__name__)
    return reduce(url, text, (time.monotonic() - start) * 1000.0)


async def scrape_all(
    urls: Sequence[str], settings: ConnectionSettings, *, timeout: float | None = None
) -> tuple[MemberMetrics, ...]:
    """Scrape every member at once, each on its own task and deadline."""
    import asyncio

    ctx: ssl.SSLContext | None = None
    if any(urlsplit(u).scheme == "https" for u in urls):
        try:
            ctx = _ssl_context(settings)
        except errors.EtcdtuiError as exc:
            return tuple(MemberMetrics(u, False, exc.cause) for u in urls)
    return tuple(
        await asyncio.gather(*(scrape(u, settings, timeout=timeout, ctx=ctx) for u in urls))
    )


def scrape_urls(settings: ConnectionSettings, endpoints: Iterable[str]) -> list[str]:
    """Where /metrics is read: the context's metrics-urls (etcd's --listen-metrics-urls)
    when given, else the client ``endpoints``. The one choice for `status`, the console,
    `check perf` and `maintenance`."""
    return list(settings.metrics_urls) or list(endpoints)


def by_endpoint(
    scraped: Iterable[MemberMetrics], statuses: Iterable[EndpointStatus]
) -> dict[str, MemberMetrics]:
    """Each answering client endpoint's scrape: the one taken at that URL, else the one
    whose etcd_server_id names the endpoint's member (a scrape from a separate metrics
    URL, --listen-metrics-urls, belongs to the member it reports)."""
    sts = list(statuses)
    by_url = {m.endpoint: m for m in scraped}
    ids = {s.endpoint: s.member_id for s in sts if s.ok}
    by_id = {
        mid: m for m in by_url.values() if m.ok and (mid := m.member_id or ids.get(m.endpoint, 0))
    }
    out: dict[str, MemberMetrics] = {}
    for s in sts:
        if s.endpoint in by_url:
            out[s.endpoint] = by_url[s.endpoint]
        elif s.ok and s.member_id in by_id:
            out[s.endpoint] = by_id[s.member_id]
    return out
