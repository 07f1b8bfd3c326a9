"""A directory of snapshots: list them with their sidecars, prune the old ones.

A snapshot ``FILE`` may have a sidecar ``FILE.json`` written by ``snapshot save`` with
``cluster_id``, ``member`` (the source member), ``etcd_version``, ``revision``, ``time``
(ISO 8601), ``size``, ``sha256`` (of FILE as stored, encrypted or not) and
``recipients``. Listing never needs a key: a plain file is verified in full (sha256
trailer and bbolt structure); an encrypted one is checked against its sidecar's sha256
when there is one, and fully when decryption keys are given.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etcdtui.i18n import _
from etcdtui.services.snapshots.bolt import MAGIC
from etcdtui.services.snapshots.errors import SnapshotError
from etcdtui.services.snapshots.source import DecryptKeys, age_stanzas, encryption_of
from etcdtui.services.snapshots.status import verify

SKIP_SUFFIXES = (".json", ".part", ".tmp")

# Verification states shown by `snapshot ls`.
VERIFIED = "verified"  # sha256 trailer and structure good
RAW = "raw-no-trailer"  # sound bbolt file without a trailer (restore needs --skip-hash-check)
SIDECAR_MATCH = "sidecar-sha256-ok"  # encrypted, file matches the sidecar's sha256
UNCHECKED = "unchecked"  # encrypted, no key and no sidecar sha256
FAILED = "failed"


@dataclass
class CatalogEntry:
    path: Path
    size: int
    time: dt.datetime
    encryption: str | None
    recipients: list[str]
    sidecar: dict[str, Any] | None
    state: str = UNCHECKED
    cause: str = ""
    message: str = ""
    revision: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.state in (VERIFIED, SIDECAR_MATCH)

    def age(self, now: dt.datetime | None = None) -> dt.timedelta:
        return (now or dt.datetime.now(dt.UTC)) - self.time

    def as_dict(self, now: dt.datetime | None = None) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "name": self.path.name,
            "size": self.size,
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "age_seconds": int(self.age(now).total_seconds()),
            "encryption": self.encryption,
            "recipients": self.recipients,
            "state": self.state,
            "cause": self.cause,
            "message": self.message,
            "revision": self.revision,
            "sidecar": self.sidecar,
        }


def _is_bolt(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        return False
    return len(head) == 20 and struct.unpack_from("<I", head, 16)[0] == MAGIC


def read_sidecar(path: Path) -> dict[str, Any] | None:
    side = path.with_name(path.name + ".json")
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _time(path: Path, sidecar: dict[str, Any] | None, st: os.stat_result) -> dt.datetime:
    raw = (sidecar or {}).get("time")
    if isinstance(raw, str):
        try:
            when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    return dt.datetime.fromtimestamp(st.st_mtime, dt.UTC)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _check(entry: CatalogEntry, keys: DecryptKeys | None) -> None:
    expected = (entry.sidecar or {}).get("sha256")
    if isinstance(expected, str) and expected:
        if _sha256_file(entry.path) != expected.lower():
            entry.state, entry.cause = FAILED, "sidecar-sha256-mismatch"
            entry.message = _("the file does not match the sha256 in its sidecar")
            return
        if entry.encryption and not keys:
            entry.state = SIDECAR_MATCH
            entry.message = _("matches the sha256 in its sidecar (not decrypted)")
            return
    if entry.encryption and not keys:
        entry.state = UNCHECKED
        entry.message = _("encrypted; pass --identity or --passphrase-file to verify")
        return
    try:
        result = verify(str(entry.path), keys)
    except SnapshotError as exc:
        entry.state, entry.cause, entry.message = FAILED, exc.code, exc.cause
        return
    entry.cause, entry.message = result.cause, result.message
    if result.status is not None:
        entry.revision = int(result.status["revision"])
    if result.ok:
        entry.state = VERIFIED
    elif result.cause == "no-trailer":
        entry.state = RAW
    else:
        entry.state = FAILED


def list_snapshots(
    directory: str | os.PathLike[str], *, keys: DecryptKeys | None = None, check: bool = True
) -> list[CatalogEntry]:
    """Every snapshot in ``directory``, oldest first."""
    root = Path(directory)
    if not root.is_dir():
        raise SnapshotError(
            _("{dir} is not a directory").format(dir=root), title=_("Cannot list snapshots")
        )
    entries = []
    for path in sorted(root.iterdir()):
        if path.name.startswith(".") or path.name.endswith(SKIP_SUFFIXES) or not path.is_file():
            continue
        sidecar = read_sidecar(path)
        encryption = encryption_of(path)
        if encryption is None and sidecar is None and not _is_bolt(path):
            continue
        st = path.stat()
        recipients = (sidecar or {}).get("recipients")
        entry = CatalogEntry(
            path=path,
            size=st.st_size,
            time=_time(path, sidecar, st),
            encryption=encryption,
            recipients=[str(r) for r in recipients] if isinstance(recipients, list) else [],
            sidecar=sidecar,
        )
        if encryption and not entry.recipients:
            entry.recipients = age_stanzas(path)
        rev = (sidecar or {}).get("revision")
        entry.revision = rev if isinstance(rev, int) else None
        if check:
            _check(entry, keys)
        entries.append(entry)
    entries.sort(key=lambda e: (e.time, e.path.name))
    return entries


def newest_verified(
    directory: str | os.PathLike[str], *, keys: DecryptKeys | None = None, tries: int = 5
) -> CatalogEntry | None:
    """The newest snapshot in ``directory`` that verifies (full check, or the sidecar's
    sha256 for an encrypted file without keys); None if none of the newest ``tries`` does
    or the directory does not exist. Only those files are read."""
    try:
        entries = list_snapshots(directory, keys=keys, check=False)
    except (SnapshotError, OSError):
        return None
    for entry in list(reversed(entries))[:tries]:
        _check(entry, keys)
        if entry.verified:
            return entry
    return None


def plan_prune(entries: list[CatalogEntry], keep: int) -> list[CatalogEntry]:
    """Which entries to delete to keep ``keep``: oldest first, never the newest verified.

    ``entries`` must be sorted oldest first (as :func:`list_snapshots` returns them).
    """
    if keep < 1:
        raise SnapshotError(_("--keep must be at least 1"), title=_("Invalid usage"))
    verified = [e for e in entries if e.verified]
    protected = verified[-1] if verified else None
    excess = len(entries) - keep
    doomed: list[CatalogEntry] = []
    for entry in entries:
        if len(doomed) >= excess:
            break
        if entry is protected:
            continue
        doomed.append(entry)
    return doomed


def delete(entries: list[CatalogEntry]) -> list[str]:
    """Remove each snapshot and its sidecar; return the paths removed."""
    removed = []
    for entry in entries:
        for path in (entry.path, entry.path.with_name(entry.path.name + ".json")):
            try:
                path.unlink()
                removed.append(str(path))
            except FileNotFoundError:
                continue
    return removed
