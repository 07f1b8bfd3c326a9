"""Saving a snapshot of a live cluster into a file (`etcdtui snapshot save`, the
console's save dialog), optionally encrypted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.services.cluster import ClusterService
from etcdtui.services.snapshots.crypto import build_encryption as build_encryption
from etcdtui.services.snapshots.save import SaveProgress as SaveProgress
from etcdtui.services.snapshots.save import SaveResult as SaveResult

if TYPE_CHECKING:
    from etcdtui.services.audit import AuditLog
from etcdtui.services.snapshots.crypto import PassphraseInvalid as PassphraseInvalid
from etcdtui.services.snapshots.crypto import read_passphrase_file as read_passphrase_file
from etcdtui.services.snapshots.save import save_snapshot as stream_snapshot

__all__ = [
    "PassphraseInvalid",
    "SaveProgress",
    "SaveResult",
    "build_encryption",
    "read_passphrase_file",
    "save_snapshot",
    "stream_snapshot",
]


async def save_snapshot(
    settings: ConnectionSettings,
    path: str | Path,
    *,
    endpoint: str | None,
    encryption: Any,
    progress: Callable[[SaveProgress], None],
    audit: AuditLog,
    force: bool = False,
) -> SaveResult:
    """Stream a snapshot to ``path`` over a connection of its own (a save may take minutes
    and must not hold up the poller's calls), audited to ``audit`` like member actions.
    ``force``: as `snapshot save --force`."""
    async with ClusterService(settings, audit=audit) as svc:
        return await stream_snapshot(
            svc, path, endpoint=endpoint, encryption=encryption, force=force, progress=progress
        )
