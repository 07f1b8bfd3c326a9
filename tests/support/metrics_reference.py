"""Reference material for the /metrics parser tests: a small scrape, and the parser
before the family scan (every line split and tested), which the scan must equal."""

from __future__ import annotations

import re
from collections.abc import Iterable

from etcdtui.services.metrics import _WANTED

SCRAPE = """\
# HELP etcd_server_quota_backend_bytes Current backend storage quota size in bytes.
# TYPE etcd_server_quota_backend_bytes gauge
etcd_server_quota_backend_bytes 1.6777216e+07
etcd_mvcc_db_total_size_in_bytes 1.6e+07
etcd_mvcc_db_total_size_in_use_in_bytes 4e+06
etcd_server_has_leader 0
etcd_server_leader_changes_seen_total 7
etcd_server_proposals_failed_total 2
etcd_server_proposals_pending 1
etcd_server_proposals_applied_total 120
etcd_server_id{server_id="8e9e05c52164694d"} 1
etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} 0
etcd_disk_wal_fsync_duration_seconds_bucket{le="0.5"} 50
etcd_disk_wal_fsync_duration_seconds_bucket{le="1"} 90
etcd_disk_wal_fsync_duration_seconds_bucket{le="2"} 100
etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"} 100
etcd_disk_wal_fsync_duration_seconds_sum 80
etcd_disk_wal_fsync_duration_seconds_count 100
etcd_network_peer_round_trip_time_seconds_bucket{To="a1",le="0.1"} 10
etcd_network_peer_round_trip_time_seconds_bucket{To="a1",le="0.2"} 10
etcd_network_peer_round_trip_time_seconds_bucket{To="a1",le="+Inf"} 10
etcd_network_peer_round_trip_time_seconds_bucket{To="b2",le="0.1"} 0
etcd_network_peer_round_trip_time_seconds_bucket{To="b2",le="0.2"} 10
etcd_network_peer_round_trip_time_seconds_bucket{To="b2",le="+Inf"} 10
garbage line {
"""


_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def every_line(text: str, wanted: Iterable[str] = _WANTED) -> dict[str, list[tuple[object, float]]]:
    """The reference: every line split and tested (the parser before the scan)."""
    prefixes = tuple(wanted)
    out: dict[str, list[tuple[object, float]]] = {}
    for line in text.splitlines():
        if not line or line[0] == "#" or not line.startswith(prefixes):
            continue
        m = _LINE.match(line)
        if m is None:
            continue
        name, _braces, labels_text, value_text = m.groups()
        try:
            value = float(value_text)
        except ValueError:
            continue
        out.setdefault(name, []).append((tuple(sorted(_LABEL.findall(labels_text or ""))), value))
    return out
