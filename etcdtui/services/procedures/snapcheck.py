"""Offline pre-checks of a snapshot file before a restore.

Checks the sha256 trailer (a snapshot taken through the API ends with the sha256 of
everything before it), that the body is a sound bbolt file with etcd's buckets, and
reads the snapshot's revision and cluster version. Uses the bbolt reader from
:mod:`etcdtui.services.snapshots`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from etcdtui.i18n import _
from etcdtui.services.snapshots.bolt import has_trailer, open_db
from etcdtui.services.snapshots.errors import (
    SnapshotCorrupt,
    SnapshotEmpty,
    SnapshotError,
    SnapshotUnreadable,
)

TRAILER = 32


@dataclass(frozen=True)
class SnapshotFacts:
    path: str
    size: int
    sha256: str  # of the whole file, to compare copies on every host
    has_trailer: bool
    revision: int
    cluster_version: str | None  # e.g. "3.5.0", from the cluster bucket

    @property
    def major_minor(self) -> str | None:
        if not self.cluster_version:
            return None
        return ".".join(self.cluster_version.split(".")[:2])


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_trailer(path: Path, size: int) -> None:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        left = size - TRAILER
        while left > 0:
            chunk = f.read(min(1 << 20, left))
            if not chunk:
                raise SnapshotCorrupt(_("the file ended early while hashing"), reason="truncated")
            h.update(chunk)
            left -= len(chunk)
        trailer = f.read(TRAILER)
    if h.digest() != trailer:
        raise SnapshotCorrupt(
            _("the sha256 trailer does not match the contents: the file was changed or "
              "damaged after it was written"), reason="sha256-mismatch")


def verify_snapshot(path: Path) -> SnapshotFacts:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise SnapshotUnreadable(_("{path}: {why}").format(path=path, why=exc.strerror)) from None
    if not os.path.isfile(path):
        raise SnapshotUnreadable(_("{path} is not a regular file").format(path=path))
    if st.st_size == 0:
        raise SnapshotEmpty(_("{path} is empty").format(path=path))
    trailer = has_trailer(st.st_size)
    if trailer:
        _check_trailer(path, st.st_size)
    try:
        with open_db(path) as db:
            keys = db.bucket(b"key")
            if keys is None:
                raise SnapshotCorrupt(_("no 'key' bucket: this bbolt file is not an etcd "
                                        "database"), reason="not-etcd")
            last = b""
            for k in keys.keys():
                last = k
            revision = int.from_bytes(last[:8], "big") if len(last) >= 8 else 0
            cluster = db.bucket(b"cluster")
            raw = cluster.get(b"clusterVersion") if cluster is not None else None
    except SnapshotError:
        raise
    except OSError as exc:
        raise SnapshotUnreadable(_("{path}: {why}").format(path=path, why=exc)) from None
    return SnapshotFacts(
        path=str(path),
        size=st.st_size,
        sha256=file_sha256(path),
        has_trailer=trailer,
        revision=revision,
        cluster_version=raw.decode(errors="replace") if raw else None,
    )
