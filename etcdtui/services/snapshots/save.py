"""`snapshot save`: stream one member's database to a file, safely.

* Source: the leader by default, else a member whose HashKV matches the majority
  (:mod:`.source`); never a lagging or unhealthy member unless named with ``endpoint=``.
* The stream goes to ``FILE.part`` (created with O_EXCL, mode 0600), is fsynced,
  renamed to ``FILE`` and the directory is fsynced. Any error, a cancel, Ctrl-C,
  SIGTERM or SIGHUP removes the ``.part``: no ``FILE`` is ever left half-written.
* The saving process holds an exclusive ``flock`` on its ``.part`` until the rename.
  A ``.part`` nobody holds is left over from a killed run (SIGKILL, power loss) and is
  replaced; one a live process holds is refused. A lock dies with its process, so no
  stale lock can block a later save.
* etcd appends the sha256 of the database as a 32-byte trailer; it is checked while
  streaming (no second read), and so is the announced size.
* With encryption only age ciphertext is written to disk (see :mod:`.crypto`).
* ``FILE.json`` records where the snapshot came from and how to check it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import queue
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import EndpointStatus, hex_id
from etcdtui.i18n import _
from etcdtui.safeio import fsync_dir, stage_private
from etcdtui.services.cluster import ClusterService
from etcdtui.services.snapshots.crypto import (
    Encryption,
    Encryptor,
    age_header_length,
    age_payload_size,
    make_encryptor,
)
from etcdtui.services.snapshots.errors import SaveError, StreamCorrupt, TargetExists
from etcdtui.services.snapshots.save_source import Source, choose_source
from etcdtui.services.snapshots.verified import sidecar_record

TRAILER = 32
SIDECAR_FORMAT = "etcdtui-snapshot/v1"
_HEAD = 64 * 1024  # start of the output kept to find the age header (recipient stanzas)
# While the stream runs, the bytes written so far are flushed to disk in the background
# every this many bytes, so the final fsync only has the tail left to write.
_FLUSH_EVERY = 32 * 1024 * 1024


@dataclass(frozen=True)
class SaveProgress:
    received: int  # snapshot bytes received so far (plaintext, trailer included)
    total: int | None  # expected snapshot bytes, from the first chunk
    elapsed: float  # seconds since the stream started
    done: bool = False

    @property
    def rate(self) -> float:
        return self.received / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.received / self.total) if self.total else None


ProgressCallback = Callable[[SaveProgress], None]


@dataclass(frozen=True)
class SaveResult:
    path: Path
    sidecar: Path
    source: Source
    metadata: dict[str, Any]


# --- source selection ---------------------------------------------------------------------


# --- writing ------------------------------------------------------------------------------


class _TrailerCheck:
    """sha256 of everything but the last 32 bytes, compared with those 32 bytes."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self._tail = b""
        self.size = 0

    def update(self, data: bytes) -> None:
        self.size += len(data)
        if len(data) >= TRAILER:
            self._h.update(self._tail)
            self._h.update(memoryview(data)[:-TRAILER])
            self._tail = data[-TRAILER:]
        else:
            joined = self._tail + data
            self._h.update(joined[:-TRAILER])
            self._tail = joined[-TRAILER:]

    def valid(self) -> bool:
        return len(self._tail) == TRAILER and self._h.digest() == self._tail

    def file_sha256(self) -> str:
        """sha256 of every byte received, trailer included (= the plain file's sha256)."""
        h = self._h.copy()
        h.update(self._tail)
        return h.hexdigest()


class _Hasher:
    """Runs a :class:`_TrailerCheck` in a thread beside the stream.

    Chunks are handed over about a MiB at a time; hashlib releases the GIL while it
    hashes, so the sha256 costs the receive loop almost nothing on a second core."""

    BATCH = 1 << 20

    def __init__(self) -> None:
        self.check = _TrailerCheck()
        self.size = 0  # bytes handed over (the progress counter)
        self._batch: list[bytes] = []
        self._batch_bytes = 0
        self._queue: queue.SimpleQueue[list[bytes] | None] = queue.SimpleQueue()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="snapshot-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            for data in batch:
                self.check.update(data)

    def update(self, data: bytes) -> None:
        self.size += len(data)
        self._batch.append(data)
        self._batch_bytes += len(data)
        if self._batch_bytes >= self.BATCH:
            self._queue.put(self._batch)
            self._batch, self._batch_bytes = [], 0

    async def finish(self) -> _TrailerCheck:
        """Hash what is left and wait for the thread; the check is complete after this."""
        self.stop()
        await asyncio.to_thread(self._thread.join)
        return self.check

    def stop(self) -> None:
        """Hand over the last batch and end the thread (once; later calls do nothing)."""
        if self._stopped:
            return
        self._stopped = True
        if self._batch:
            self._queue.put(self._batch)
        self._queue.put(None)


class _Output:
    """The .part file: O_EXCL, 0600, hashed and counted as it is written."""

    def __init__(self, part: Path, *, hashed: bool) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        self.fd = os.open(part, flags, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # "a live save owns this"
            st, now = os.fstat(self.fd), os.lstat(part)
            if (st.st_dev, st.st_ino) != (now.st_dev, now.st_ino):  # taken over in between
                raise OSError(errno.EBUSY, _("another save replaced the .part file"))
        except BaseException:
            os.close(self.fd)
            raise
        os.fchmod(self.fd, 0o600)  # whatever the umask
        # A plain file's sha256 comes from the trailer check's hasher: one pass, not two.
        self.sha = hashlib.sha256() if hashed else None
        self.size = 0
        self.flushed = 0  # bytes already flushed to disk in the background
        self.head = b""

    def write(self, data: bytes) -> None:
        if len(self.head) < _HEAD:
            self.head += data[: _HEAD - len(self.head)]
        if self.sha is not None:
            self.sha.update(data)
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.size += len(data)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _write_sidecar_part(path: Path, data: dict[str, Any]) -> None:
    stage_private(path, json.dumps(data, indent=2) + "\n")


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _check_target(path: Path, force: bool) -> None:
    parent = path.parent
    if not parent.is_dir():
        raise SaveError(
            _("the directory {dir} does not exist").format(dir=parent),
            fix=_("Create it first, or choose another path."),
        )
    if path.is_dir():
        raise SaveError(
            _("{path} is a directory").format(path=path), fix=_("Give a file name inside it.")
        )
    for existing in (path, sidecar_path(path)):
        if existing.exists() and not force:
            raise TargetExists(_("{path} exists").format(path=existing))
    part = path.with_name(path.name + ".part")
    side_part = path.with_name(path.name + ".json.part")
    if not (os.path.lexists(part) or os.path.lexists(side_part)):
        return
    owner = part if os.path.lexists(part) else path
    if _owned_by_a_live_save(owner):
        raise SaveError(
            _("{part} exists and a running save is writing it").format(part=part),
            fix=_("Wait for that save to finish, or choose another file name."),
        )
    for leftover in (part, side_part):  # left by a killed save: nobody owns them
        if os.path.lexists(leftover):
            if not stat.S_ISREG(os.lstat(leftover).st_mode):
                raise SaveError(
                    _("{part} exists and is not a file a save left behind").format(part=leftover),
                    fix=_("Move it aside, then save again."),
                )
            leftover.unlink()


def _owned_by_a_live_save(path: Path) -> bool:
    """Whether a live process holds the save lock on ``path`` (see the module doc)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also drops the lock we just took
    return False


async def save_snapshot(
    svc: ClusterService,
    path: str | os.PathLike[str],
    *,
    endpoint: str | None = None,
    encryption: Encryption | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
    idle_timeout: float = 30.0,
    source: Source | None = None,
) -> SaveResult:
    """Stream a snapshot into ``path`` (see the module doc for every guarantee).

    Saved or failed, the attempt goes to ``svc.audit`` (when the service has one) as a
    ``snapshot-save`` record: file, source member, size, sha256, encryption recipients
    (never a passphrase)."""
    params: dict[str, Any] = {
        "path": str(Path(path).absolute()),
        "endpoint": endpoint,
        "encrypted": encryption is not None,
        "recipients": list(encryption.identifiers) if encryption is not None else [],
    }
    try:
        result = await _save(
            svc,
            path,
            endpoint=endpoint,
            encryption=encryption,
            force=force,
            progress=progress,
            idle_timeout=idle_timeout,
            source=source,
        )
    except errors.EtcdtuiError as exc:
        _audit(svc, params, error=exc)
        raise
    meta = result.metadata
    _audit(
        svc,
        params,
        result={
            "path": str(result.path),
            "source": meta.get("source"),
            "revision": meta.get("revision"),
            "size": meta.get("size"),
            "sha256": meta.get("sha256"),
        },
        cluster_id=meta.get("cluster_id"),
    )
    return result


def _audit(
    svc: ClusterService,
    params: dict[str, Any],
    *,
    result: Any = None,
    error: errors.EtcdtuiError | None = None,
    cluster_id: Any = None,
) -> None:
    audit = getattr(svc, "audit", None)
    if audit is None:
        return
    cid = None
    if isinstance(cluster_id, str):
        with contextlib.suppress(ValueError):
            cid = int(cluster_id, 16)
    elif isinstance(cluster_id, int):
        cid = cluster_id
    members = getattr(svc, "last_members", None)
    audit.append(
        action="snapshot-save",
        context=svc.settings.context,
        cluster_id=cid or (members.cluster_id if members else None),
        params=params,
        result=result,
        error=error,
    )


async def _save(
    svc: ClusterService,
    path: str | os.PathLike[str],
    *,
    endpoint: str | None,
    encryption: Encryption | None,
    force: bool,
    progress: ProgressCallback | None,
    idle_timeout: float,
    source: Source | None,
) -> SaveResult:
    target = Path(path).absolute()
    _check_target(target, force)
    src = source or await choose_source(svc, endpoint)
    before = src.status
    from etcdtui.services.cluster_lock import refuse_during_restore

    refuse_during_restore(svc.settings, before.cluster_id)  # right before the file is made
    part = target.with_name(target.name + ".part")
    side_part = target.with_name(target.name + ".json.part")
    try:
        out = _Output(part, hashed=encryption is not None)
    except OSError as exc:
        raise _write_failed(part, exc) from None
    encryptor: Encryptor | None = None
    committed = False
    hasher = _Hasher()
    flush: asyncio.Future[None] | None = None
    try:
        if encryption is not None:
            encryptor = await make_encryptor(encryption, out.write)
        total, started = None, time.monotonic()
        last_report = 0.0
        loop = asyncio.get_running_loop()
        client = svc.pool.client(src.url)
        async for chunk in client.snapshot_stream(idle_timeout=idle_timeout):
            blob: bytes = chunk.blob
            if total is None:
                total = int(chunk.remaining_bytes) + len(blob) + TRAILER
            hasher.update(blob)
            if encryptor is not None:
                await encryptor.write(blob)
            else:
                out.write(blob)
            if out.size - out.flushed >= _FLUSH_EVERY and (flush is None or flush.done()):
                if flush is not None:
                    flush.result()  # a failed early flush fails the save now
                out.flushed = out.size
                flush = loop.run_in_executor(None, os.fdatasync, out.fd)
            now = time.monotonic()
            if progress is not None and now - last_report >= 0.1:
                last_report = now
                progress(SaveProgress(hasher.size, total, now - started))
        if encryptor is not None:
            await encryptor.finish()
        check = await hasher.finish()
        _check_stream(check, total, src.url)
        if encryptor is not None:
            _check_ciphertext(out, check.size, src.url)
        if flush is not None:
            await flush
            flush = None
        await asyncio.to_thread(os.fsync, out.fd)
        checked = sidecar_record(out.fd, target)  # the trailer check above, for status
        after = await svc.endpoint_status(src.url)
        sha = out.sha.hexdigest() if out.sha is not None else check.file_sha256()
        meta = _metadata(target, src, before, after, out.size, sha, check.size, encryption)
        meta["verified"] = checked
        await asyncio.to_thread(_write_sidecar_part, side_part, meta)
        os.replace(part, target)
        os.replace(side_part, sidecar_path(target))
        committed = True
        await asyncio.to_thread(fsync_dir, target.parent)
        if progress is not None:
            progress(SaveProgress(check.size, total, time.monotonic() - started, done=True))
        return SaveResult(target, sidecar_path(target), src, meta)
    except OSError as exc:
        raise _write_failed(part, exc) from None
    finally:
        hasher.stop()
        if flush is not None:  # never close the fd under a flush still running on it
            with contextlib.suppress(OSError):
                await asyncio.shield(flush)
        if not committed:
            if encryptor is not None:
                encryptor.abort()
            for leftover in (part, side_part):  # removed while our lock still holds
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        out.close()  # drops the lock, after both renames (or the clean-up)


def _write_failed(part: Path, exc: OSError) -> SaveError:
    return SaveError(
        _("cannot write {path}: {why}").format(path=part, why=exc.strerror or exc),
        fix=_("Check free space and permissions in {dir}; nothing was kept.").format(
            dir=part.parent
        ),
    )


def _check_stream(check: _TrailerCheck, total: int | None, url: str) -> None:
    if total is None:
        raise StreamCorrupt(_("the member sent no data"), endpoint=url)
    if check.size != total:
        raise StreamCorrupt(
            _("received {got} bytes, the member announced {want}").format(
                got=check.size, want=total
            ),
            endpoint=url,
        )
    if not check.valid():
        raise StreamCorrupt(_("the sha256 trailer does not match the data received"), endpoint=url)


def _check_ciphertext(out: _Output, plain_size: int, url: str) -> None:
    header = age_header_length(out.head)
    if header is None or out.size != header + age_payload_size(plain_size):
        raise StreamCorrupt(
            _("the encrypted file has {got} bytes, not the size age gives for {n} bytes").format(
                got=out.size, n=plain_size
            ),
            endpoint=url,
        )


def _metadata(
    target: Path,
    src: Source,
    before: EndpointStatus,
    after: EndpointStatus,
    size: int,
    sha256: str,
    plain_size: int,
    encryption: Encryption | None,
) -> dict[str, Any]:
    from etcdtui import __version__

    return {
        "format": SIDECAR_FORMAT,
        "file": target.name,
        "cluster_id": hex_id(before.cluster_id) if before.cluster_id else None,
        "source": {
            "member_id": hex_id(before.member_id),
            "name": src.name,
            "endpoint": src.url,
            "reason": src.reason,
            "warning": src.warning,
        },
        "etcd_version": before.version,
        # The member's revision when the stream opened; the snapshot holds at least this
        # revision, and exactly this one when "revision_exact" (no write during the save).
        "revision": before.revision,
        "revision_exact": after.ok and after.revision == before.revision,
        "raft_term": before.raft_term,
        "raft_index": before.raft_index,
        "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "size": size,
        "snapshot_size": plain_size,
        "sha256": sha256,
        "trailer_valid": True,
        "encrypted": encryption is not None,
        "encryption": "age" if encryption is not None else None,
        "recipients": list(encryption.identifiers) if encryption is not None else [],
        "etcdtui_version": __version__,
    }


__all__ = [
    "SaveProgress",
    "SaveResult",
    "save_snapshot",
    "sidecar_path",
]
