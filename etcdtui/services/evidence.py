"""Evidence after quorum loss: which member's data dir do we rebuild from?

Read-only and offline: each data dir's ``member/snap/db`` (bbolt) and ``member/wal/*.wal``
are opened for reading only, nothing is written or locked.

From the db: the consistent index (the last raft entry applied to the db), the term,
the revision, the compact revision, the member list, and etcdutl's hash of the file.
From the WAL (etcd's record framing, wal/encoder.go and wal/decoder.go): the node and
cluster IDs (metadata record), the last hard state (term, vote, commit index) and the
last entry's index and term.

The most advanced survivor is the one whose db applied the most (consistent index,
then revision), the WAL's commit and last index breaking ties. Dirs are compared
for divergence over the revisions they all hold and none has compacted: a different
hash there means different histories (not just one behind the other).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import hex_id
from etcdtui.i18n import _
from etcdtui.services.snapshots.bolt import BoltDB
from etcdtui.services.snapshots.errors import SnapshotError
from etcdtui.services.snapshots.mvcc import backend_info, parse_revision
from etcdtui.services.snapshots.scan import crc32c
from etcdtui.services.snapshots.status import status_of

MAX_WAL_RECORD = 64 * 1024 * 1024  # one record never exceeds a WAL segment
# walpb.Record types (server/storage/wal/wal.go)
WAL_METADATA, WAL_ENTRY, WAL_STATE, WAL_CRC, WAL_SNAPSHOT = 1, 2, 3, 4, 5


# --- minimal protobuf reading (varints and length-delimited fields only) ---------------


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) for each varint, fixed or length-delimited field."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, value
        elif wire == 2:
            n, pos = _varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("truncated field")
            yield number, buf[pos : pos + n]
            pos += n
        elif wire == 5:
            yield number, int.from_bytes(buf[pos : pos + 4], "little")
            pos += 4
        elif wire == 1:
            yield number, int.from_bytes(buf[pos : pos + 8], "little")
            pos += 8
        else:
            raise ValueError(f"unsupported wire type {wire}")


@dataclass
class WalFacts:
    node_id: int | None = None
    cluster_id: int | None = None
    term: int | None = None  # the last hard state's
    vote: int | None = None
    commit: int | None = None
    last_index: int | None = None
    last_term: int | None = None
    records: int = 0
    files: int = 0
    torn: bool = False  # the last record was cut short (a crash mid-write)

    def as_dict(self) -> dict[str, Any]:
        return {
            "node_id": hex_id(self.node_id) if self.node_id else None,
            "cluster_id": hex_id(self.cluster_id) if self.cluster_id else None,
            "term": self.term,
            "vote": hex_id(self.vote) if self.vote else None,
            "commit_index": self.commit,
            "last_index": self.last_index,
            "last_term": self.last_term,
            "records": self.records,
            "files": self.files,
            "torn_tail": self.torn,
        }


def _wal_records(data: bytes) -> Iterator[tuple[int, bytes] | None]:
    """(type, data) per record; None once for a torn tail. Stops at the zero padding."""
    pos = 0
    while pos + 8 <= len(data):
        word = int.from_bytes(data[pos : pos + 8], "little")
        if word == 0:
            return  # preallocated space: the end
        length = word & ~(0xFF << 56)
        pad = (word >> 56) & 0x7 if word & (1 << 63) else 0
        start, end = pos + 8, pos + 8 + length
        if length > MAX_WAL_RECORD or end + pad > len(data):
            yield None
            return
        rtype = 0
        payload = b""
        try:
            for number, value in _fields(data[start:end]):
                if number == 1 and isinstance(value, int):
                    rtype = value
                elif number == 3 and isinstance(value, bytes):
                    payload = value
        except ValueError:
            yield None
            return
        yield rtype, payload
        pos = end + pad


def read_wal(wal_dir: Path) -> WalFacts:
    facts = WalFacts()
    files = sorted(p for p in wal_dir.glob("*.wal") if p.is_file())
    facts.files = len(files)
    for path in files:
        data = path.read_bytes()
        for record in _wal_records(data):
            if record is None:
                facts.torn = True
                break
            rtype, payload = record
            facts.records += 1
            try:
                fields = dict(_fields(payload))
            except ValueError:
                facts.torn = True
                break
            if rtype == WAL_METADATA:
                facts.node_id = _int(fields.get(1)) or facts.node_id
                facts.cluster_id = _int(fields.get(2)) or facts.cluster_id
            elif rtype == WAL_STATE and payload:
                facts.term = _int(fields.get(1))
                facts.vote = _int(fields.get(2))
                facts.commit = _int(fields.get(3))
            elif rtype == WAL_ENTRY:
                facts.last_term = _int(fields.get(2))
                facts.last_index = _int(fields.get(3))
    return facts


def _int(v: int | bytes | None) -> int | None:
    return v if isinstance(v, int) else None


# --- one data dir -----------------------------------------------------------------------


@dataclass
class DirEvidence:
    path: str
    ok: bool
    error: str | None = None
    consistent_index: int | None = None
    term: int | None = None
    revision: int | None = None
    compact_revision: int | None = None
    db_hash: int | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    wal: WalFacts | None = None
    window_hash: int | None = None  # over the revisions every dir holds
    diverged_from: list[str] = field(default_factory=list)

    @property
    def rank(self) -> tuple[int, int, int, int]:
        w = self.wal or WalFacts()
        return (
            self.consistent_index or 0,
            self.revision or 0,
            w.commit or 0,
            w.last_index or 0,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "error": self.error,
            "consistent_index": self.consistent_index,
            "applied_index": self.consistent_index,
            "term": self.term,
            "revision": self.revision,
            "compact_revision": self.compact_revision,
            "hash": self.db_hash,
            "window_hash": self.window_hash,
            "members": self.members,
            "wal": self.wal.as_dict() if self.wal else None,
            "diverged_from": self.diverged_from,
        }


def _db_path(data_dir: Path) -> Path:
    return data_dir / "member" / "snap" / "db"


def read_dir(data_dir: str | os.PathLike[str]) -> DirEvidence:
    """Everything one data dir says about itself. Never raises for a bad dir."""
    d = Path(data_dir)
    ev = DirEvidence(str(d), ok=False)
    db_path = _db_path(d)
    if not db_path.is_file():
        ev.error = _("no member/snap/db under {path} (is it an etcd data dir?)").format(path=d)
        return ev
    try:
        with BoltDB.open(db_path) as db:
            info = backend_info(db)
            status = status_of(db, check=False)
    except (SnapshotError, OSError) as exc:
        ev.error = str(exc)
        return ev
    ev.ok = True
    ev.consistent_index = info.get("consistent_index")
    ev.term = info.get("term")
    ev.compact_revision = info.get("compact_revision")
    ev.members = list(info.get("members") or [])
    ev.revision = status.get("revision")
    ev.db_hash = status.get("hash")
    wal_dir = d / "member" / "wal"
    if wal_dir.is_dir():
        try:
            ev.wal = read_wal(wal_dir)
        except OSError as exc:
            ev.error = _("WAL unreadable: {why}").format(why=exc)
    return ev


def window_hash(data_dir: str | os.PathLike[str], after: int, upto: int) -> int:
    """CRC-32C of the key bucket's records with ``after < main revision <= upto``."""
    crc = 0
    with BoltDB.open(_db_path(Path(data_dir))) as db:
        bucket = db.bucket(b"key")
        if bucket is None:
            return crc
        for k, v in bucket.items():
            main, _sub, _tomb = parse_revision(k)
            if main <= after:
                continue
            if main > upto:
                break
            crc = crc32c(crc32c(crc, k), v or b"")
    return crc


@dataclass
class Evidence:
    dirs: list[DirEvidence]
    best: DirEvidence | None
    window: tuple[int, int] | None
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "most_advanced": self.best.path if self.best else None,
            "window": list(self.window) if self.window else None,
            "notes": self.notes,
            "dirs": [d.as_dict() for d in self.dirs],
        }


def gather(paths: Sequence[str | os.PathLike[str]]) -> Evidence:
    """Read every data dir, name the most advanced, flag the ones that diverge."""
    if not paths:
        raise errors.UsageError(_("give at least one data dir"))
    dirs = [read_dir(p) for p in paths]
    good = [d for d in dirs if d.ok]
    notes: list[str] = []
    clusters = {d.wal.cluster_id for d in good if d.wal and d.wal.cluster_id}
    if len(clusters) > 1:
        notes.append(
            _("the dirs belong to different clusters ({ids}): compare like with like").format(
                ids=", ".join(hex_id(c) for c in sorted(clusters))
            )
        )
    window: tuple[int, int] | None = None
    if len(good) > 1:
        after = max(d.compact_revision or 0 for d in good)
        upto = min(d.revision or 0 for d in good)
        if upto > after:
            window = (after, upto)
            for d in good:
                try:
                    d.window_hash = window_hash(d.path, after, upto)
                except (SnapshotError, OSError) as exc:
                    d.error = str(exc)
            groups: dict[int, list[DirEvidence]] = {}
            for d in good:
                if d.window_hash is not None:
                    groups.setdefault(d.window_hash, []).append(d)
            if len(groups) > 1:
                majority = max(groups.values(), key=len)
                for d in good:
                    if d not in majority:
                        d.diverged_from = [m.path for m in majority]
                notes.append(
                    _(
                        "the dirs disagree on revisions {a}..{b} that they all hold: their "
                        "histories diverged"
                    ).format(a=after + 1, b=upto)
                )
        else:
            notes.append(
                _(
                    "no revision range is held by every dir (empty or compacted): "
                    "divergence not checked"
                )
            )
    candidates = [d for d in good if not d.diverged_from] or good
    best = max(candidates, key=lambda d: d.rank, default=None)
    if best is not None and any(d.rank == best.rank and d is not best for d in candidates):
        notes.append(_("several dirs are equally advanced; any of them will do"))
    return Evidence(dirs, best, window, notes)


def copy_db(best: DirEvidence, target: str | os.PathLike[str]) -> Path:
    """Copy the chosen dir's member/snap/db to ``target`` (never over an existing file):
    written to ``.part``, fsynced, mode 0600, then renamed. The source is only read."""
    dst = Path(target).absolute()
    if dst.exists():
        raise errors.UsageError(
            _("{path} exists; etcdtui never overwrites a snapshot").format(path=dst),
            fix=_("Pick a new file name."),
        )
    src = _db_path(Path(best.path))
    part = dst.with_name(dst.name + ".part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
            while chunk := fin.read(1024 * 1024):
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        os.rename(part, dst)
        dfd = os.open(dst.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise errors.EtcdtuiError(
            _("cannot copy {src} to {dst}: {why}").format(src=src, dst=dst, why=exc.strerror),
            title=_("Copy failed"),
        ) from None
    return dst
