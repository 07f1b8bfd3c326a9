"""One snapshot file, offline: `snapshot status` and `snapshot verify`, and the keys that
open it when it is encrypted. These commands race etcdutl, so this module imports no
service at load time: the sha256 (:func:`start_hash`) starts before the reader loads,
and each function loads only what it uses (the catalogue and hashlib never)."""

from __future__ import annotations

import os
from collections.abc import Sequence

TYPE_CHECKING = False  # typing costs start-up (see etcdtui/records.py)
if TYPE_CHECKING:
    from typing import Any

    from etcdtui.services.snapshots.earlyhash import EarlyHash
    from etcdtui.services.snapshots.open_file import DecryptKeys
    from etcdtui.services.snapshots.status import VerifyResult


def start_hash(path: str) -> EarlyHash:
    """Start the sha256 of ``path`` in a thread now, before the reader is imported:
    verify's floor is that hash, and this overlaps it with the rest of the start-up.
    The entry point may already have started it, before the CLI was imported: then
    that one is taken over."""
    from etcdtui.services.snapshots.earlyhash import EarlyHash, take

    started = take(path)
    return started if started is not None else EarlyHash(path)


def snapshot_status(
    path: str | os.PathLike[str],
    keys: DecryptKeys | None = None,
    *,
    verify: bool = False,
    early: EarlyHash | None = None,
) -> dict[str, Any]:
    """The numbers of ``etcdutl snapshot status -w json``, the sha256 trailer's state and
    the last verification recorded for this file (with ``verify``: a full check now)."""
    from etcdtui.services.snapshots.status import snapshot_status as status

    return status(path, keys, verify=verify, early=early)


def verify(
    path: str | os.PathLike[str],
    keys: DecryptKeys | None = None,
    *,
    early: EarlyHash | None = None,
    content_hash: bool = True,
) -> VerifyResult:
    """Is this a snapshot one can restore from? (the result is recorded for the file)
    ``content_hash=False`` leaves out etcdutl's CRC of the keys and values, which
    `snapshot status` reports: the check itself is the same."""
    from etcdtui.services.snapshots.status import verify as check

    return check(path, keys, early=early, content_hash=content_hash)


def keys_from_files(identity_files: Sequence[str], passphrase_file: str | None) -> DecryptKeys:
    """The keys the operator named: age identities (or ssh keys), and a passphrase read
    from the first line of a file."""
    from etcdtui.services.snapshots.open_file import (
        DecryptKeys,
        identities_from_files,
        read_passphrase_file,
    )

    keys = DecryptKeys(identities=identities_from_files(identity_files))
    if passphrase_file:
        keys.passphrase = read_passphrase_file(passphrase_file)
    return keys


def needs_passphrase(path: str | os.PathLike[str]) -> bool:
    """Is ``path`` age-encrypted to a passphrase (an scrypt stanza)?"""
    from etcdtui.services.snapshots.open_file import age_stanzas, encryption_of

    return encryption_of(path) == "age" and "scrypt" in age_stanzas(path)
