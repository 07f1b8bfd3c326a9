"""Snapshot files on disk: the catalogue of a directory, verification, and the keys
that open an encrypted snapshot. Saving is in :mod:`etcdtui.ops.snapshot_save`,
browsing and diffing in :mod:`etcdtui.ops.snapshot_browse` (both heavier to import)."""

from __future__ import annotations

from etcdtui.services.snapshots.catalog import FAILED as FAILED
from etcdtui.services.snapshots.catalog import RAW as RAW
from etcdtui.services.snapshots.catalog import SIDECAR_MATCH as SIDECAR_MATCH
from etcdtui.services.snapshots.catalog import UNCHECKED as UNCHECKED
from etcdtui.services.snapshots.catalog import VERIFIED as VERIFIED
from etcdtui.services.snapshots.catalog import CatalogEntry as CatalogEntry
from etcdtui.services.snapshots.catalog import delete as delete
from etcdtui.services.snapshots.catalog import doomed_paths as doomed_paths
from etcdtui.services.snapshots.catalog import list_snapshots as list_snapshots
from etcdtui.services.snapshots.catalog import newest_verified as newest_verified
from etcdtui.services.snapshots.catalog import plan_prune as plan_prune
from etcdtui.services.snapshots.catalog import scan as scan
from etcdtui.services.snapshots.errors import EncryptedSnapshotError as EncryptedSnapshotError
from etcdtui.services.snapshots.open_file import DecryptKeys as DecryptKeys
from etcdtui.services.snapshots.open_file import age_stanzas as age_stanzas
from etcdtui.services.snapshots.open_file import encryption_of as encryption_of
from etcdtui.services.snapshots.open_file import identities_from_files as identities_from_files
from etcdtui.services.snapshots.open_file import read_passphrase_file as read_passphrase_file
from etcdtui.services.snapshots.status import VerifyResult as VerifyResult
from etcdtui.services.snapshots.status import snapshot_status as snapshot_status
from etcdtui.services.snapshots.status import verify as verify

__all__ = [
    "FAILED",
    "RAW",
    "SIDECAR_MATCH",
    "UNCHECKED",
    "VERIFIED",
    "CatalogEntry",
    "DecryptKeys",
    "EncryptedSnapshotError",
    "VerifyResult",
    "age_stanzas",
    "delete",
    "doomed_paths",
    "encryption_of",
    "identities_from_files",
    "list_snapshots",
    "newest_verified",
    "plan_prune",
    "read_passphrase_file",
    "scan",
    "snapshot_status",
    "verify",
]
