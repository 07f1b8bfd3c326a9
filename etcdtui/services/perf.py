"""`etcdtui check perf`: a bounded write load in the manner of `etcdctl check perf`.

Loads and pass criteria follow etcdctl's (ctlv3/command/check.go): a number of clients
writing 256-byte values under one prefix at a target rate for a fixed time; it passes
when the throughput reaches 90% of the target, the slowest request stays under 0.5 s
and the standard deviation of latencies under 0.1 s. On top, the members' WAL fsync
and backend commit p99 over the run are held against etcd's alert thresholds.

The keys are written under ``/etcdtui/check-perf/`` and deleted at the end (also
when the run fails). Refused on read-only sessions; refused on protected contexts
(not loopback, or discovered from a kubeadm manifest) unless forced.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import _
from etcdtui.services import metrics
from etcdtui.services.cluster import ClusterService

PREFIX = b"/etcdtui/check-perf/"
VALUE_SIZE = 256
MAX_DURATION_S = 60.0
# name: (clients, target writes per second), as etcdctl check perf --load
LOADS = {"s": (50, 150), "m": (200, 1000), "l": (500, 8000), "xl": (1000, 15000)}
THROUGHPUT_RATIO = 0.9
SLOWEST_S = 0.5
STDDEV_S = 0.1


def is_protected(settings: ConnectionSettings) -> bool:
    """A cluster that serves something real: any endpoint off loopback, or one found
    through a kubeadm manifest."""
    if settings.source == "kubeadm":
        return True
    for url in settings.endpoints:
        host = urlsplit(url if "://" in url else "https://" + url).hostname or ""
        if host == "localhost":
            continue
        try:
            if not ipaddress.ip_address(host).is_loopback:
                return True
        except ValueError:
            return True
    return False


def refusal(settings: ConnectionSettings, *, accepted: bool) -> errors.EtcdtuiError | None:
    """Why check perf must not run on ``settings``, or None: the one rule of both faces.
    ``accepted``: the operator accepted the load on a protected context (CLI --force,
    console: the context's name typed)."""
    if settings.read_only:
        return errors.ReadOnlyMode(
            _("check perf writes test keys, and this session is read-only"),
            fix=_("Run it against a writable context (a sandbox or a test cluster)."),
        )
    if is_protected(settings) and not accepted:
        return errors.EtcdtuiError(
            _("check perf loads the cluster, and {ctx} looks like a real one").format(
                ctx=settings.context or ",".join(settings.endpoints)
            ),
            title=_("Refused on a protected context"),
            fix=_("Run it on a sandbox, or add --force if you accept the load."),
        )
    return None


def refuse_unless_allowed(settings: ConnectionSettings, *, force: bool) -> None:
    exc = refusal(settings, accepted=force)
    if exc is not None:
        raise exc


@dataclass
class PerfResult:
    load: str
    clients: int
    target_rate: float
    duration_s: float
    ok_writes: int = 0
    failed_writes: int = 0
    latencies: list[float] = field(default_factory=list, repr=False)
    wal_fsync_p99: float | None = None
    backend_commit_p99: float | None = None
    cleaned: int = 0

    @property
    def throughput(self) -> float:
        return self.ok_writes / self.duration_s if self.duration_s else 0.0

    @property
    def slowest(self) -> float:
        return max(self.latencies, default=0.0)

    @property
    def stddev(self) -> float:
        n = len(self.latencies)
        if n < 2:
            return 0.0
        mean = sum(self.latencies) / n
        return math.sqrt(sum((x - mean) ** 2 for x in self.latencies) / n)

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def checks(self) -> list[tuple[str, bool, str]]:
        """(name, passed, detail) for each criterion."""
        out = [
            (
                "throughput",
                self.throughput >= THROUGHPUT_RATIO * self.target_rate,
                _("{got:.0f} writes/s of {want:.0f} wanted (90% needed)").format(
                    got=self.throughput, want=self.target_rate
                ),
            ),
            (
                "slowest",
                self.slowest < SLOWEST_S,
                _("slowest write {ms:.0f} ms (limit {lim:.0f} ms)").format(
                    ms=self.slowest * 1e3, lim=SLOWEST_S * 1e3
                ),
            ),
            (
                "stddev",
                self.stddev < STDDEV_S,
                _("latency stddev {ms:.1f} ms (limit {lim:.0f} ms)").format(
                    ms=self.stddev * 1e3, lim=STDDEV_S * 1e3
                ),
            ),
            (
                "errors",
                self.failed_writes == 0,
                _("{n} writes failed").format(n=self.failed_writes),
            ),
        ]
        if self.wal_fsync_p99 is not None:
            out.append(
                (
                    "wal_fsync",
                    self.wal_fsync_p99 < metrics.WAL_FSYNC_ALERT_S,
                    _("WAL fsync p99 {ms:.1f} ms (alert {lim:.0f} ms, healthy < 10 ms)").format(
                        ms=self.wal_fsync_p99 * 1e3, lim=metrics.WAL_FSYNC_ALERT_S * 1e3
                    ),
                )
            )
        if self.backend_commit_p99 is not None:
            out.append(
                (
                    "backend_commit",
                    self.backend_commit_p99 < metrics.BACKEND_COMMIT_ALERT_S,
                    _("backend commit p99 {ms:.1f} ms (alert {lim:.0f} ms)").format(
                        ms=self.backend_commit_p99 * 1e3,
                        lim=metrics.BACKEND_COMMIT_ALERT_S * 1e3,
                    ),
                )
            )
        return out

    @property
    def passed(self) -> bool:
        return all(ok for _n, ok, _d in self.checks())

    def as_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "load": self.load,
            "clients": self.clients,
            "target_rate": self.target_rate,
            "duration_seconds": round(self.duration_s, 3),
            "writes_ok": self.ok_writes,
            "writes_failed": self.failed_writes,
            "throughput": round(self.throughput, 1),
            "latency_p50_seconds": round(self.quantile(0.5), 6),
            "latency_p99_seconds": round(self.quantile(0.99), 6),
            "slowest_seconds": round(self.slowest, 6),
            "stddev_seconds": round(self.stddev, 6),
            "wal_fsync_p99_seconds": self.wal_fsync_p99,
            "backend_commit_p99_seconds": self.backend_commit_p99,
            "keys_deleted": self.cleaned,
            "checks": [{"name": n, "passed": ok, "detail": d} for n, ok, d in self.checks()],
        }


def _worst(
    before: tuple[metrics.MemberMetrics, ...], after: tuple[metrics.MemberMetrics, ...], which: str
) -> float | None:
    prior = {m.endpoint: m for m in before if m.ok}
    values = [v for m in after if m.ok and (v := m.p99(which, prior.get(m.endpoint))) is not None]
    return max(values, default=None)


async def run_perf(
    svc: ClusterService,
    *,
    load: str = "s",
    duration_s: float = 10.0,
    clients: int | None = None,
    rate: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PerfResult:
    """Write at the target rate for ``duration_s`` (at most 60 s), then clean up."""
    if load not in LOADS:
        raise errors.UsageError(
            _("unknown load {load!r}").format(load=load), fix=_("Use s, m, l or xl.")
        )
    if not 0 < duration_s <= MAX_DURATION_S:
        raise errors.UsageError(
            _("--duration must be between 0 and {n} seconds").format(n=int(MAX_DURATION_S))
        )
    n_clients = clients or LOADS[load][0]
    target = float(rate or LOADS[load][1])
    result = PerfResult(load, n_clients, float(target), duration_s)
    urls = svc.metrics_urls()  # the context's metrics-urls when set, else the client URLs
    before = await metrics.scrape_all(urls, svc.settings)
    total = int(target * duration_s)
    value = os.urandom(VALUE_SIZE // 2).hex().encode()
    next_op = 0
    start = clock()

    async def client(cid: int) -> None:
        nonlocal next_op
        while True:
            op = next_op
            if op >= total:
                return
            next_op += 1
            due = start + op / target
            wait = due - clock()
            if wait > 0:
                await asyncio.sleep(wait)
            key = PREFIX + f"{cid:04d}-{op:08d}".encode()
            t0 = clock()
            try:
                await svc.put(key, value)
            except errors.EtcdtuiError:
                result.failed_writes += 1
                continue
            result.latencies.append(clock() - t0)
            result.ok_writes += 1

    try:
        await asyncio.gather(*(client(i) for i in range(n_clients)))
        result.duration_s = max(clock() - start, duration_s)
        after = await metrics.scrape_all(urls, svc.settings)
        result.wal_fsync_p99 = _worst(before, after, "wal_fsync")
        result.backend_commit_p99 = _worst(before, after, "backend_commit")
    finally:
        result.cleaned = await svc.delete(PREFIX, _prefix_end(PREFIX))
    if svc.audit is not None:
        svc.audit.append(
            context=svc.settings.context,
            action="check-perf",
            params={"load": load, "duration": duration_s, "prefix": PREFIX.decode()},
            result={"passed": result.passed, "writes": result.ok_writes},
        )
    return result


def _prefix_end(prefix: bytes) -> bytes:
    end = bytearray(prefix)
    end[-1] += 1
    return bytes(end)
