"""Verification records: the last full check of a snapshot file, so `snapshot status`
can report it without hashing the whole file again.

A record belongs to one exact file: its resolved path, size, ``st_mtime_ns``, inode and
device. Any change to one of them (the file was rewritten, appended to, touched,
replaced by another file, moved, or another filesystem is mounted over the path) and
the record no longer applies. Records come from two places:

* the cache ``snapshot-verify.json`` in the state dir, written by ``snapshot verify``
  (and ``status --verify``): JSON, written to a private temp file, fsynced and renamed
  over the old one (mode 0600), at most :data:`MAX_ENTRIES` files (the oldest go), and
  read only up to :data:`MAX_CACHE_BYTES`;
* the ``verified`` entry of the save sidecar ``FILE.json``: `snapshot save` checks the
  sha256 trailer of the stream as it arrives and records that check there.

A damaged or oversized cache is treated as empty: it is a shortcut, never the truth.
"""

from __future__ import annotations

import os
import stat

from etcdtui.paths import state_dir_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

CACHE_NAME = "snapshot-verify.json"
CACHE_FORMAT = 1
MAX_ENTRIES = 256
MAX_CACHE_BYTES = 1 << 20
MAX_SIDECAR_BYTES = 1 << 20

# A sidecar's record covers the sha256 trailer checked while the stream arrived; the
# bbolt structure was not walked then.
RESULT_SAVE_TRAILER_OK = "sha256-ok-at-save"
# Results that are no failure (a raw copy's "no-trailer" is reported by the trailer
# state itself).
GOOD_RESULTS = ("ok", RESULT_SAVE_TRAILER_OK, "no-trailer")


def cache_path() -> str:
    # a string: pathlib would cost `snapshot status` start-up for one file name
    return os.path.join(state_dir_name(), CACHE_NAME)


def identity(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """What a record must match: resolved path, size, mtime_ns, inode, device (None:
    no file)."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return _identity_of(real, st)


def _identity_of(real: str, st: os.stat_result) -> dict[str, Any]:
    return {
        "path": real,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "inode": st.st_ino,
        "dev": st.st_dev,
    }


# Sidecars written before the device was recorded match on the other fields.
_SIDECAR_OPTIONAL = ("dev",)


def _matches(rec: Any, ident: dict[str, Any], optional: tuple[str, ...] = ()) -> bool:
    return isinstance(rec, dict) and all(
        rec.get(k) == v for k, v in ident.items() if k not in optional or k in rec
    )


def _public(rec: dict[str, Any], source: str) -> dict[str, Any]:
    out = {"at": rec.get("at"), "result": rec.get("result"), "source": source}
    if rec.get("message"):
        out["message"] = rec["message"]
    return out


def _read_bounded(path: str, limit: int) -> Any:
    from etcdtui.safeio import read_limited

    try:
        raw = read_limited(path, limit)
    except OSError:  # missing, not a regular file, or larger than the limit
        return None
    import json  # here: without a cache or sidecar, status reads no JSON

    try:
        return json.loads(raw)
    except ValueError:
        return None


def _load() -> dict[str, dict[str, Any]]:
    data = _read_bounded(cache_path(), MAX_CACHE_BYTES)
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        return {}
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, dict)}


def lookup(
    path: str | os.PathLike[str], ident: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The last verification recorded for this exact file: ``{"at", "result", "source"}``
    (and ``message`` for a failure), or None. The cache wins over the sidecar when both
    apply: it holds the fuller check."""
    ident = ident if ident is not None else identity(path)
    if ident is None:
        return None
    rec = _load().get(ident["path"])
    if rec is not None and _matches(rec, ident):
        return _public(rec, "cache")
    side = _read_bounded(ident["path"] + ".json", MAX_SIDECAR_BYTES)
    if isinstance(side, dict) and _matches(side.get("verified"), ident, _SIDECAR_OPTIONAL):
        return _public(side["verified"], "sidecar")
    return None


def now_text() -> str:
    """The time now, UTC, to the second: ``2026-12-03T06:55:24Z``. From :mod:`time`:
    importing datetime costs a few ms on every verify, after the hash is done."""
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def record(
    ident: dict[str, Any] | None, result: str, message: str | None = None
) -> dict[str, Any] | None:
    """Record ``result`` (a verify cause: ``ok``, ``sha256-mismatch``...) for the file
    ``ident`` described before it was read. Nothing is recorded when the file changed
    while it was checked, or when the cache cannot be written (status then simply finds
    no record). Returns the public form of the record, or None."""
    if ident is None or identity(ident["path"]) != ident:
        return None
    rec: dict[str, Any] = {**ident, "at": now_text(), "result": result}
    if message and result != "ok":
        rec["message"] = message
    entries = _load()
    entries.pop(ident["path"], None)
    entries[ident["path"]] = rec
    if len(entries) > MAX_ENTRIES:
        newest = sorted(entries.items(), key=lambda kv: str(kv[1].get("at", "")))
        entries = dict(newest[-MAX_ENTRIES:])
    import json

    body = json.dumps({"format": CACHE_FORMAT, "entries": entries}, indent=1)
    while len(body) > MAX_CACHE_BYTES and len(entries) > 1:
        entries.pop(next(iter(entries)))
        body = json.dumps({"format": CACHE_FORMAT, "entries": entries}, indent=1)
    try:
        _write_atomic(cache_path(), body)
    except OSError:
        return None
    return _public(rec, "cache")


def _write_atomic(path: str | Path, text: str) -> None:
    """Readers see the old cache or the new one, whole (safeio.write_private)."""
    from etcdtui.safeio import write_private

    write_private(path, text)


def sidecar_record(fd: int, path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``verified`` entry `snapshot save` writes into the sidecar: the file (still
    open as ``fd``, fsynced) whose trailer was checked while it was received. The path
    is where the file is about to be renamed to (the inode survives the rename)."""
    from pathlib import Path

    st = os.fstat(fd)
    real = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), Path(path).name)
    return {**_identity_of(real, st), "at": now_text(), "result": RESULT_SAVE_TRAILER_OK}


__all__ = [
    "CACHE_NAME",
    "GOOD_RESULTS",
    "MAX_ENTRIES",
    "RESULT_SAVE_TRAILER_OK",
    "cache_path",
    "identity",
    "lookup",
    "record",
    "sidecar_record",
]
