"""`snapshot status` and `snapshot verify`, offline and in pure Python.

The numbers are those of ``etcdutl snapshot status -w json`` (etcdutl/snapshot/
v3_snapshot.go, ``Status``):

* ``hash``: CRC-32C (Castagnoli) over, for each top-level bucket in key order, the
  bucket name and then every key and value of that bucket as bbolt's ``ForEach``
  yields them (a nested bucket contributes its key only);
* ``revision``: the main revision of the last key of the ``key`` bucket (keys are
  8-byte big-endian main revision, ``_``, 8-byte sub revision, optional ``t``);
* ``totalKey``: the number of key/value pairs over all top-level buckets;
* ``totalSize``: bbolt's ``Tx.Size()``, the high-water page id times the page size;
* ``version``: the storage version etcd 3.6 and later record in the ``meta`` bucket
  (``storageVersion``, major.minor.0), empty for files written by older servers, as
  etcdutl 3.6 reports it (``schema.ReadStorageVersionFromSnapshot``).

``verify`` adds the sha256 trailer that a snapshot taken through the API carries and a
structural check in the spirit of bbolt's ``Tx.Check``: both meta pages, page bounds,
each page reached once, keys in order, and every page either in use or free.
"""

from __future__ import annotations

import os

from etcdtui.i18n import _
from etcdtui.records import NamedTuple  # typing's, without importing typing
from etcdtui.services.snapshots import verified
from etcdtui.services.snapshots.bolt import (
    TRAILER_SIZE,
    BoltDB,
)
from etcdtui.services.snapshots.earlyhash import (
    EarlyHash,
    hash_mapping,
    new_sha256,
    short_switch_interval,
)
from etcdtui.services.snapshots.errors import SnapshotCorrupt, SnapshotError
from etcdtui.services.snapshots.open_file import DecryptKeys, open_snapshot
from etcdtui.services.snapshots.scan import ScanResult, scan

TYPE_CHECKING = False
if TYPE_CHECKING:
    import threading
    from typing import Any

# --- sha256 trailer -------------------------------------------------------------------


def check_trailer(db: BoltDB, stop: threading.Event | None = None) -> tuple[bool, bool | None]:
    """(present, valid): valid is None when there is no trailer.

    Hashes the mapping in chunks and drops each chunk from the process afterwards, so
    the resident size stays small; hashlib releases the GIL while it hashes, so this
    runs in a thread beside :func:`scan`. ``stop`` abandons the work (valid is then
    None): the caller is going away.
    """
    if not db.has_trailer:
        return False, None
    return hash_mapping(db.mm, db.data_size, stop, db.drop_resident)


# The sha256 thread needs the GIL back after each chunk (about 20 ms of hashing); while
# the scan holds it the wait lasts up to the switch interval, 5 ms by default, so the
# interval is shortened while both run (earlyhash.short_switch_interval).
_new_sha256 = new_sha256
_short_switch_interval = short_switch_interval


def scan_and_trailer(
    db: BoltDB,
    *,
    check: bool = True,
    early: EarlyHash | None = None,
    content_hash: bool = True,
) -> tuple[ScanResult | SnapshotCorrupt, bool, bool | None]:
    """:func:`scan` and :func:`check_trailer` at once, the sha256 in a second thread
    (``early``'s, already running, when it hashes this very file). A structural fault
    is returned, not raised, so the trailer's verdict is kept. ``content_hash`` as for
    :func:`scan`."""
    if early is not None and db.has_trailer and early.matches(db.fd):
        return _scan_beside(db, check, early, content_hash)
    if early is not None:
        early.cancel()
    if not db.has_trailer:
        try:
            return scan(db, check=check, content_hash=content_hash), False, None
        except SnapshotCorrupt as exc:
            return exc, False, None
    import threading

    outcome: list[tuple[bool, bool | None]] = []
    failure: list[BaseException] = []
    stop = threading.Event()

    def hash_file() -> None:
        try:
            outcome.append(check_trailer(db, stop))
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=hash_file, name="sha256", daemon=True)
    res: ScanResult | SnapshotCorrupt
    worker.start()
    try:
        with _short_switch_interval:
            try:
                res = scan(db, check=check, content_hash=content_hash)
            except SnapshotCorrupt as exc:
                res = exc
    except BaseException:
        stop.set()  # e.g. KeyboardInterrupt: do not hash on for nothing
        raise
    finally:
        worker.join()  # the mapping must outlive the thread that reads it
    if failure:
        raise failure[0]
    present, valid = outcome[0]
    return res, present, valid


def _scan_beside(
    db: BoltDB, check: bool, early: EarlyHash, content_hash: bool
) -> tuple[ScanResult | SnapshotCorrupt, bool, bool | None]:
    res: ScanResult | SnapshotCorrupt
    try:
        with _short_switch_interval:
            try:
                res = scan(db, check=check, content_hash=content_hash)
            except SnapshotCorrupt as exc:
                res = exc
    except BaseException:
        early.cancel()
        raise
    got = early.result()
    present, valid = got if got is not None else check_trailer(db)
    return res, present, valid


_SEMVER = rb"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"


def storage_version(db: BoltDB) -> str:
    """``meta/storageVersion`` (etcd 3.6+), or "" when absent or not a version.

    This is the schema version of the data, not the release of the server that wrote
    it: a 3.6.4 server records "3.6.0". Files from 3.5 and older have none."""
    import re

    for name, bucket in db.buckets():
        if name == b"meta":
            raw = bucket.get(b"storageVersion")
            # compiled here, not at import: files from 3.5 and older have no version
            if raw and re.fullmatch(_SEMVER, raw):
                return raw.decode("ascii")
            return ""
    return ""


TRAILER_VALID = "valid"
TRAILER_UNCHECKED = "unchecked"  # a trailer is there; this run did not hash the file
TRAILER_MISMATCH = "mismatch"
TRAILER_ABSENT = "absent"  # a raw copy of member/snap/db: whole pages, nothing after
TRAILER_CUT = "cut-short"  # the file ends inside its 32-byte trailer
TRAILER_EXTRA = "extra-bytes"  # bytes after the database that are no sha256 trailer


def trailer_state(db: BoltDB, present: bool, valid: bool | None) -> tuple[str, str | None]:
    """(state, problem): one reading of the bytes after the database, for every command
    that opens a snapshot. ``problem`` is None for a valid trailer and for one present
    but not hashed in this run (``valid`` None); a raw copy's problem is that nothing
    proves it complete."""
    if present:
        if valid:
            return TRAILER_VALID, None
        if valid is None:
            return TRAILER_UNCHECKED, None
        return TRAILER_MISMATCH, _(
            "the sha256 trailer does not match the data: the file was changed or damaged "
            "after it was saved, so what it shows may not be what etcd wrote"
        )
    extra = db.data_size - db.tx_size
    if 0 < extra < TRAILER_SIZE:
        return TRAILER_CUT, _(
            "the file ends {n} bytes into its 32-byte sha256 trailer: it was cut short "
            "(an interrupted copy?), so its integrity cannot be checked"
        ).format(n=extra)
    if extra > 0 and db.file_size % db.page_size:
        return TRAILER_EXTRA, _(
            "{n} bytes follow the database and they are not a sha256 trailer: bytes were "
            "appended or the trailer is damaged, so its integrity cannot be checked"
        ).format(n=extra)
    return TRAILER_ABSENT, _(
        "no sha256 trailer (a raw copy of member/snap/db, or a snapshot whose trailer was "
        "cut off): nothing proves the file is complete"
    )


def trailer_report(db: BoltDB) -> dict[str, Any]:
    """Hash the file and say what its trailer proves: ``{"state", "problem"}``."""
    present, valid = check_trailer(db)
    state, problem = trailer_state(db, present, valid)
    return {"state": state, "problem": problem}


def with_trailer_report(db: BoltDB, work: Any) -> tuple[Any, dict[str, Any]]:
    """``(work(db), trailer_report(db))``, the hashing in a second thread: hashlib
    releases the GIL, so reading the keys costs no extra wall-clock time. The thread
    is joined before returning (the mapping must outlive it), also when ``work`` fails."""
    import threading  # only when a file is hashed (start-up time)

    outcome: list[dict[str, Any]] = []
    failure: list[BaseException] = []

    def hash_file() -> None:
        try:
            outcome.append(trailer_report(db))
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=hash_file, name="sha256", daemon=True)
    worker.start()
    try:
        with _short_switch_interval:
            result = work(db)
    finally:
        worker.join()
    if failure:
        raise failure[0]
    return result, outcome[0]


def status_of(db: BoltDB, *, check: bool = True) -> dict[str, Any]:
    """etcdutl's numbers and what the trailer bytes say, without hashing the file: the
    work ``etcdutl snapshot status`` does (``sha256.valid`` is None when a trailer is
    there; :func:`verify` or ``verify=True`` on :func:`snapshot_status` check it)."""
    res = scan(db, check=check)
    present = db.has_trailer
    state, problem = trailer_state(db, present, None)
    return {
        "hash": res.hash,
        "revision": res.revision,
        "totalKey": res.total_key,
        "totalSize": res.total_size,
        "version": storage_version(db),
        "sha256": {"present": present, "valid": None, "state": state, "problem": problem},
    }


def snapshot_status(
    path: str | os.PathLike[str],
    keys: DecryptKeys | None = None,
    *,
    verify: bool = False,
    early: EarlyHash | None = None,
) -> dict[str, Any]:
    """The numbers of ``etcdutl snapshot status -w json`` plus the sha256 trailer state
    and ``sha256.verified``: the last verification recorded for this exact file
    (:mod:`.verified`), or None. With ``verify`` the full check runs now (and is
    recorded; ``early`` as for :func:`verify`); a structural fault then raises as it
    does for a plain status."""
    try:
        return _snapshot_status(path, keys, verify, early)
    finally:
        if early is not None:
            early.cancel()


def _snapshot_status(
    path: str | os.PathLike[str],
    keys: DecryptKeys | None,
    verify: bool,
    early: EarlyHash | None,
) -> dict[str, Any]:
    ident = verified.identity(path)
    with open_snapshot(path, keys) as db:
        if not verify:
            st = status_of(db)
            st["sha256"]["verified"] = verified.lookup(path, ident)
            last = st["sha256"]["verified"]
            if last is not None and last["result"] not in verified.GOOD_RESULTS:
                st["sha256"]["problem"] = _(
                    "the last verify of this file ({at}) failed: {why}"
                ).format(at=last["at"], why=last.get("message") or last["result"])
            return st
        res = _verify_or_corrupt(db, early)
        state, problem = trailer_state(db, res.sha256_present, res.sha256_valid)
        rec = verified.record(ident, res.cause, res.message)
        now = rec or {"at": verified.now_text(), "result": res.cause, "source": "run"}
        if res.status is None:
            # The check failed before it had the numbers (the file ends inside its
            # trailer, or the structure is broken): report what a plain status reports,
            # which raises for a broken structure.
            st = status_of(db)
            st["sha256"]["verified"] = now
            if st["sha256"]["problem"] is None:
                st["sha256"]["problem"] = res.message
            return st
    return {
        **res.status,
        "sha256": {
            "present": res.sha256_present,
            "valid": res.sha256_valid,
            "state": state,
            "problem": problem,
            "verified": now,
        },
    }


# --- verify ---------------------------------------------------------------------------

CAUSE_OK = "ok"
CAUSE_NO_TRAILER = "no-trailer"
CAUSE_SHA_MISMATCH = "sha256-mismatch"


class VerifyResult(NamedTuple):
    ok: bool
    cause: str  # ok, no-trailer, sha256-mismatch, truncated, not-bolt, empty, corrupt, ...
    message: str
    severity: str  # "ok", "warning" or "error"
    sha256_present: bool = False
    sha256_valid: bool | None = None
    warnings: tuple[str, ...] = ()
    status: dict[str, Any] | None = None
    encrypted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cause": self.cause,
            "severity": self.severity,
            "message": self.message,
            "sha256": {"present": self.sha256_present, "valid": self.sha256_valid},
            "warnings": list(self.warnings),
            "status": self.status,
            "encrypted": self.encrypted,
        }


def verify(
    path: str | os.PathLike[str],
    keys: DecryptKeys | None = None,
    *,
    early: EarlyHash | None = None,
    content_hash: bool = True,
) -> VerifyResult:
    """Is this a snapshot one can restore from? ``ok`` only with a valid trailer and a
    sound bbolt structure. Decryption and usage problems still raise. The result is
    recorded for this exact file (:mod:`.verified`) so `snapshot status` can report it.
    ``early``: a sha256 of ``path`` already running (:mod:`.earlyhash`), used when the
    file opened is the one it hashes, and stopped in any case. Without
    ``content_hash`` the values are not read for etcdutl's CRC (``status["hash"]`` is
    None): the check is the same, the sha256 proves the content (`snapshot verify`)."""
    ident = verified.identity(path)
    encrypted = False
    try:
        with open_snapshot(path, keys) as db:
            encrypted = db.encrypted
            res = _verify_db(db, early, content_hash)
    except SnapshotCorrupt as exc:
        res = VerifyResult(False, exc.reason, exc.cause, "error", encrypted=encrypted)
    finally:
        if early is not None:
            early.cancel()  # unused (another file, a refusal): stop it, free the file
    verified.record(ident, res.cause, res.message)
    return res


def _verify_or_corrupt(db: BoltDB, early: EarlyHash | None = None) -> VerifyResult:
    try:
        return _verify_db(db, early)
    except SnapshotCorrupt as exc:
        return VerifyResult(False, exc.reason, exc.cause, "error", encrypted=db.encrypted)


def verify_db(db: BoltDB) -> VerifyResult:
    """:func:`verify` of a database already open (plain or decrypted into memory)."""
    return _verify_or_corrupt(db)


def _verify_db(
    db: BoltDB, early: EarlyHash | None = None, content_hash: bool = True
) -> VerifyResult:
    extra = db.data_size - db.tx_size
    if not db.has_trailer and 0 < extra < TRAILER_SIZE:
        return VerifyResult(
            False,
            "truncated",
            _("the file ends {n} bytes into its sha256 trailer").format(n=extra),
            "error",
            encrypted=db.encrypted,
        )
    res, present, valid = scan_and_trailer(db, check=True, early=early, content_hash=content_hash)
    if isinstance(res, SnapshotCorrupt):
        exc = res
        if present and not valid:
            return VerifyResult(
                False,
                CAUSE_SHA_MISMATCH,
                _(
                    "sha256 mismatch: the file was changed or damaged after it was saved ({e})"
                ).format(e=exc.cause),
                "error",
                present,
                valid,
                encrypted=db.encrypted,
            )
        return VerifyResult(
            False, exc.reason, exc.cause, "error", present, valid, encrypted=db.encrypted
        )
    status = {
        "hash": res.hash,
        "revision": res.revision,
        "totalKey": res.total_key,
        "totalSize": res.total_size,
        "version": storage_version(db),
    }
    common: dict[str, Any] = {
        "sha256_present": present,
        "sha256_valid": valid,
        "warnings": tuple(res.warnings),
        "status": status,
        "encrypted": db.encrypted,
    }
    if present and not valid:
        msg = _("sha256 mismatch: the file was changed or damaged after it was saved")
        return VerifyResult(False, CAUSE_SHA_MISMATCH, msg, "error", **common)
    if not present:
        if db.file_size % db.page_size:
            msg = _(
                "no sha256 trailer and the size is not a whole number of pages: the file is "
                "cut short or has bytes appended"
            )
            return VerifyResult(False, "truncated", msg, "error", **common)
        msg = _(
            "no sha256 trailer: this is a raw copy of a member's db file, not a snapshot taken "
            "through the API. Its structure is sound, but restoring it needs "
            "--skip-hash-check and nothing proves it is complete."
        )
        return VerifyResult(False, CAUSE_NO_TRAILER, msg, "warning", **common)
    return VerifyResult(
        True, CAUSE_OK, _("snapshot is sound: sha256 trailer matches"), "ok", **common
    )


__all__ = [
    "SnapshotError",
    "VerifyResult",
    "check_trailer",
    "snapshot_status",
    "status_of",
    "storage_version",
    "trailer_report",
    "trailer_state",
    "verify",
    "verify_db",
    "with_trailer_report",
]
