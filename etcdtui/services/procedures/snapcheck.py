"""Offline pre-checks of a snapshot file before a restore.

Uses the offline verifier of :mod:`etcdtui.services.snapshots` (sha256 trailer and
bbolt structure), then reads the snapshot's cluster version from the ``cluster``
bucket and hashes the whole file so every host's copy can be compared.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from etcdtui.i18n import _
from etcdtui.safeio import file_sha256
from etcdtui.services.snapshots.errors import (
    SnapshotCorrupt,
    SnapshotEmpty,
    SnapshotUnreadable,
)

if TYPE_CHECKING:
    from etcdtui.services.snapshots.open_file import DecryptKeys


@dataclass(frozen=True)
class SnapshotFacts:
    path: str
    size: int
    sha256: str  # of the whole file, to compare copies on every host
    has_trailer: bool
    revision: int
    cluster_version: str | None  # e.g. "3.5.0", from the cluster bucket
    encrypted: bool = False  # age-encrypted: restore decrypts it into memory first

    @property
    def major_minor(self) -> str | None:
        if not self.cluster_version:
            return None
        return ".".join(self.cluster_version.split(".")[:2])


def verify_snapshot(path: Path, keys: DecryptKeys | None = None) -> SnapshotFacts:
    """Facts about a restorable snapshot; raises SnapshotError subclasses when it is not.

    The trailer and structure checks are :func:`etcdtui.services.snapshots.status.verify`;
    a raw copy of member/snap/db (no trailer) is accepted, and the plan adds
    --skip-hash-check for it.

    An age-encrypted file is decrypted with ``keys`` into memory (never a named file) and
    the plaintext is checked; ``sha256`` stays the hash of the file as it is on disk,
    which is what every host's copy is compared with."""
    from etcdtui.services.snapshots.open_file import open_snapshot
    from etcdtui.services.snapshots.status import CAUSE_NO_TRAILER, verify_db

    try:
        st = os.stat(path)
    except OSError as exc:
        raise SnapshotUnreadable(_("{path}: {why}").format(path=path, why=exc.strerror)) from None
    if not os.path.isfile(path):
        raise SnapshotUnreadable(_("{path} is not a regular file").format(path=path))
    if st.st_size == 0:
        raise SnapshotEmpty(_("{path} is empty").format(path=path))
    try:
        with open_snapshot(path, keys) as db:
            encrypted = db.encrypted
            result = verify_db(db)
            if not result.ok and result.cause != CAUSE_NO_TRAILER:
                raise SnapshotCorrupt(
                    _("{path}: {why}").format(path=path, why=result.message),
                    reason=result.cause,
                )
            if db.bucket(b"key") is None:
                raise SnapshotCorrupt(
                    _("no 'key' bucket: this bbolt file is not an etcd database"), reason="not-etcd"
                )
            cluster = db.bucket(b"cluster")
            raw = cluster.get(b"clusterVersion") if cluster is not None else None
    except OSError as exc:
        raise SnapshotUnreadable(_("{path}: {why}").format(path=path, why=exc)) from None
    revision = int((result.status or {}).get("revision") or 0)
    return SnapshotFacts(
        path=str(path),
        size=st.st_size,
        sha256=file_sha256(path),
        has_trailer=bool(result.sha256_present),
        revision=revision,
        cluster_version=raw.decode(errors="replace") if raw else None,
        encrypted=encrypted,
    )
