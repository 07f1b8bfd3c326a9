"""Each member's /metrics over time: windowed rates ("4 leader changes in 15 minutes")
and the points of pane 2's sparklines, from the scrapes :mod:`etcdtui.services.metrics`
reduces. Bounded: samples older than the window are dropped."""

from __future__ import annotations

from etcdtui.services.metrics import WINDOW_S, Histogram, MemberMetrics


def as_float(v: int | None) -> float | None:
    return None if v is None else float(v)


TREND_POINTS = 32  # points kept per member and signal for the sparklines

# The signals with a trend (a sparkline per member in pane 2).
TRENDS = (
    "wal_fsync",
    "backend_commit",
    "apply",
    "peer_rtt",
    "leader_changes",
    "proposals_failed",
    "proposals_pending",
    "proposals_applied",
    "db_quota",
    "db_in_use",
    "no_leader",
)


def _interval_p99(h: Histogram | None, before: Histogram | None) -> float | None:
    """p99 of the observations between two scrapes (None when there were none)."""
    if h is None or before is None:
        return None
    diff = h.minus(before)
    if diff is h:  # a counter reset (or new buckets): not an interval
        return None
    return diff.quantile(0.99)


class MetricsHistory:
    """Scrapes over time per endpoint, for windowed rates ("4 leader changes in 15
    minutes") and sparklines. Bounded: samples older than the window are dropped.

    Each signal's trend gets a new point when a scrape gives a value different from the
    previous point (a steady value does not shift the sparkline; scrapes come every few
    seconds, less often than the refresh). Latencies are the p99 of the observations
    made between two scrapes; counts are the increase over the window."""

    def __init__(self, window_s: float = WINDOW_S, max_samples: int = 240) -> None:
        self.window_s = window_s
        self.max_samples = max_samples
        self._samples: dict[str, list[tuple[float, MemberMetrics]]] = {}
        self._trends: dict[str, dict[str, list[float]]] = {}

    def add(self, now: float, sample: MemberMetrics) -> None:
        if not sample.ok:
            return
        series = self._samples.setdefault(sample.endpoint, [])
        prev = series[-1][1] if series else None
        series.append((now, sample))
        cutoff = now - self.window_s
        while series and (series[0][0] < cutoff or len(series) > self.max_samples):
            series.pop(0)
        trends = self._trends.setdefault(sample.endpoint, {})
        for name, value in self._points(sample, prev).items():
            if value is None:
                continue
            points = trends.setdefault(name, [])
            if points and points[-1] == value:
                continue  # unchanged: the sparkline stays as drawn
            points.append(value)
            del points[:-TREND_POINTS]

    def _points(self, m: MemberMetrics, prev: MemberMetrics | None) -> dict[str, float | None]:
        def windowed(attr: str) -> float | None:
            n = self.increase(m.endpoint, attr)
            return None if n is None else float(n)

        rtts = [
            v
            for peer, h in m.peer_rtt.items()
            if (v := _interval_p99(h, prev.peer_rtt.get(peer) if prev else None)) is not None
        ]
        quota = m.quota_ratio
        return {
            "wal_fsync": _interval_p99(m.wal_fsync, prev.wal_fsync if prev else None),
            "backend_commit": _interval_p99(
                m.backend_commit, prev.backend_commit if prev else None
            ),
            "apply": _interval_p99(m.apply, prev.apply if prev else None),
            "peer_rtt": max(rtts) if rtts else None,
            "leader_changes": windowed("leader_changes"),
            "proposals_failed": windowed("proposals_failed"),
            "proposals_pending": as_float(m.proposals_pending),
            "proposals_applied": windowed("proposals_applied"),
            "db_quota": quota if quota is not None else as_float(m.db_size),
            "db_in_use": as_float(m.db_size_in_use),
            "no_leader": None if m.has_leader is None else float(not m.has_leader),
        }

    def trend(self, endpoint: str, name: str) -> list[float]:
        """The points of one signal's sparkline, oldest first."""
        return list(self._trends.get(endpoint, {}).get(name, ()))

    def oldest(self, endpoint: str) -> MemberMetrics | None:
        series = self._samples.get(endpoint)
        return series[0][1] if series and len(series) > 1 else None

    def latest(self, endpoint: str) -> MemberMetrics | None:
        series = self._samples.get(endpoint)
        return series[-1][1] if series else None

    def increase(self, endpoint: str, attr: str) -> int | None:
        """How much a counter rose over the window (None with one sample)."""
        series = self._samples.get(endpoint)
        if not series or len(series) < 2:
            return None
        first, last = getattr(series[0][1], attr), getattr(series[-1][1], attr)
        if first is None or last is None:
            return None
        return last - first if last >= first else last

    def series(self, endpoint: str, attr: str) -> list[float]:
        out: list[float] = []
        for _t, m in self._samples.get(endpoint, []):
            v = getattr(m, attr)
            if isinstance(v, int | float):
                out.append(float(v))
        return out
