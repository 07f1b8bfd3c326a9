"""A directory of snapshots: list them with their sidecars, prune the old ones.

A snapshot ``FILE`` may have a sidecar ``FILE.json`` written by ``snapshot save`` with
``cluster_id``, ``member`` (the source member), ``etcd_version``, ``revision``, ``time``
(ISO 8601), ``size``, ``sha256`` (of FILE as stored, encrypted or not) and
``recipients``. Listing never needs a key: a plain file is verified in full (sha256
trailer and bbolt structure); an encrypted one is checked against its sidecar's sha256
when there is one, and fully when decryption keys are given.

Only regular files are snapshots. A symbolic link is never listed, never followed and
never deleted; a file that a link in the directory points to is never pruned (the link
would dangle). Entries are ordered by the time their sidecar records (the file's own
mtime, not a link target's, when there is none), then by revision, then by name.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etcdtui.i18n import N_, _
from etcdtui.safeio import file_sha256, read_limited
from etcdtui.services.snapshots.bolt import MAGIC
from etcdtui.services.snapshots.errors import SnapshotError
from etcdtui.services.snapshots.open_file import DecryptKeys, age_stanzas, encryption_of
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
    # identity of the file when it was listed: prune deletes only this very file
    inode: tuple[int, int] = (0, 0)
    # links in the directory that point at this file (it is never pruned)
    linked_from: list[str] = field(default_factory=list)

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
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        head = os.read(fd, 20)
    except OSError:
        return False
    finally:
        os.close(fd)
    return len(head) == 20 and struct.unpack_from("<I", head, 16)[0] == MAGIC


def read_sidecar(path: Path) -> dict[str, Any] | None:
    side = path.with_name(path.name + ".json")
    try:
        data = json.loads(read_limited(side).decode("utf-8"))
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


def _check(entry: CatalogEntry, keys: DecryptKeys | None) -> None:
    expected = (entry.sidecar or {}).get("sha256")
    if isinstance(expected, str) and expected:
        if file_sha256(entry.path) != expected.lower():
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


@dataclass
class Listing:
    """A directory's snapshots (oldest first) and the symbolic links that were skipped."""

    entries: list[CatalogEntry]
    links: dict[str, str]  # link name -> what it points to (as written)


def scan(
    directory: str | os.PathLike[str], *, keys: DecryptKeys | None = None, check: bool = True
) -> Listing:
    """Every regular snapshot file in ``directory`` (oldest first) and every link."""
    root = Path(directory)
    if not root.is_dir():
        raise SnapshotError(
            _("{dir} is not a directory").format(dir=root), title=_("Cannot list snapshots")
        )
    entries: list[CatalogEntry] = []
    links: dict[str, str] = {}
    link_targets: dict[tuple[int, int], list[str]] = {}
    for path in sorted(root.iterdir()):
        if path.name.startswith(".") or path.name.endswith(SKIP_SUFFIXES):
            continue
        try:
            st = path.lstat()  # never follow a link
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode):
            try:
                links[path.name] = os.readlink(path)
                target = path.stat()  # where it points, to protect that file
                link_targets.setdefault((target.st_dev, target.st_ino), []).append(path.name)
            except OSError:
                pass  # a dangling link protects nothing
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        sidecar = read_sidecar(path)
        encryption = encryption_of(path)
        if encryption is None and sidecar is None and not _is_bolt(path):
            continue
        recipients = (sidecar or {}).get("recipients")
        entry = CatalogEntry(
            path=path,
            size=st.st_size,
            time=_time(path, sidecar, st),
            encryption=encryption,
            recipients=[str(r) for r in recipients] if isinstance(recipients, list) else [],
            sidecar=sidecar,
            inode=(st.st_dev, st.st_ino),
        )
        if encryption and not entry.recipients:
            entry.recipients = age_stanzas(path)
        rev = (sidecar or {}).get("revision")
        entry.revision = rev if isinstance(rev, int) and not isinstance(rev, bool) else None
        if check:
            _check(entry, keys)
        entries.append(entry)
    for entry in entries:
        entry.linked_from = link_targets.get(entry.inode, [])
    entries.sort(key=_order)
    return Listing(entries, links)


def _order(e: CatalogEntry) -> tuple[dt.datetime, int, str]:
    return (e.time, e.revision if e.revision is not None else -1, e.path.name)


def list_snapshots(
    directory: str | os.PathLike[str], *, keys: DecryptKeys | None = None, check: bool = True
) -> list[CatalogEntry]:
    """Every snapshot in ``directory``, oldest first (regular files only)."""
    return scan(directory, keys=keys, check=check).entries


class PruneRefused(SnapshotError):
    code = "prune-refused"
    exit_code = 2
    default_title = N_("Nothing pruned")


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
    """Which entries to delete to keep ``keep``: oldest first, never the newest verified
    one, never a file a link points to.

    ``entries`` must be sorted oldest first (as :func:`list_snapshots` returns them).
    Raises :class:`PruneRefused` when no verified snapshot would be left."""
    if keep < 1:
        raise PruneRefused(
            _("--keep must be at least 1"),
            title=_("Invalid usage"),
            fix=_("Keep at least one snapshot: pass --keep 1 or more."),
        )
    excess = len(entries) - keep
    if excess <= 0:
        return []  # deleting nothing is always safe
    verified = [e for e in entries if e.verified]
    if not verified:
        raise PruneRefused(
            _("none of the {n} snapshots in the directory is verified").format(n=len(entries)),
            fix=_(
                "Prune deletes only while a verified snapshot stays. Check them with "
                "`etcdtui snapshot ls DIR` (pass --identity or --passphrase-file for "
                "encrypted files), or take a fresh snapshot first."
            ),
        )
    protected = verified[-1]
    doomed: list[CatalogEntry] = []
    for entry in entries:
        if len(doomed) >= excess:
            break
        if entry is protected or entry.linked_from:
            continue
        doomed.append(entry)
    if not any(e.verified for e in entries if e not in doomed):  # belt and braces
        raise PruneRefused(_("the prune would leave no verified snapshot"))
    return doomed


def doomed_paths(entries: list[CatalogEntry]) -> list[Path]:
    """Exactly the files :func:`delete` removes for ``entries``: each snapshot, its sidecar."""
    out: list[Path] = []
    for entry in entries:
        out.append(entry.path)
        side = entry.path.with_name(entry.path.name + ".json")
        if side.is_file() and not side.is_symlink():
            out.append(side)
    return out


def delete(entries: list[CatalogEntry]) -> list[str]:
    """Remove each snapshot and its sidecar; return the paths removed.

    Right before each removal the file is checked again: still a regular file, still the
    very file that was listed (device and inode). Anything else is left alone."""
    removed = []
    for entry in entries:
        try:
            st = entry.path.lstat()
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != entry.inode:
            raise PruneRefused(
                _("{path} changed since it was listed; it was not deleted").format(path=entry.path),
                fix=_("Run the prune again to see the new plan."),
            )
        entry.path.unlink()
        removed.append(str(entry.path))
        side = entry.path.with_name(entry.path.name + ".json")
        try:
            if stat.S_ISREG(side.lstat().st_mode):
                side.unlink()
                removed.append(str(side))
        except FileNotFoundError:
            continue
    return removed
