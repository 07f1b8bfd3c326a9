"""The sha256 of a snapshot file, started before the bbolt reader is even imported.

`snapshot verify` is bounded below by the sha256 of the whole file (``openssl dgst``
takes the same time). What runs before the hash starts (loading the reader and the
CRC library, opening the file, reading its meta pages) would add to that floor, so the
CLI starts hashing first, in a thread, from this small module (os and OpenSSL's sha256
only), and :func:`~etcdtui.services.snapshots.status.verify` picks the result up when
the file it opened is the very file hashed (same device, inode, size and mtime). It is
an optimisation only: when anything differs (an age-encrypted file, a file replaced in
between, no trailer by etcd's size rule), the result is discarded and verify hashes as
it would have.

The thread needs the GIL after each chunk; while the main thread imports and walks,
the switch interval is kept short (:data:`short_switch_interval`) until the result is
taken or the job is cancelled.
"""

from __future__ import annotations

import _thread
import mmap
import os
import stat
import sys

# for the checker only: typing costs a few ms, and this module loads before the hash
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

TRAILER_SIZE = 32
# Each chunk is one call that hashes without the GIL; between chunks the thread needs
# the GIL back, which stalls the walk beside it (measured: 32 MB chunks cost verify less
# than 8 MB ones). The mapping holds at most one chunk resident for the hash.
SHA_CHUNK = 32 << 20
_SWITCH_INTERVAL = 0.0005
_AGE_PREFIXES = (b"age-encryption.org/v1\n", b"-----BEGIN AGE ENCRYPTED FILE-----")


class ShortSwitchInterval:
    """Shortens the interpreter's switch interval while at least one hashing thread runs
    beside Python code, and puts the caller's value back when the last one ends (two
    may run at once, e.g. from the console's workers)."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()  # threading loads only when a hash runs
        self._users = 0
        self._saved = 0.0

    def __enter__(self) -> None:
        with self._lock:
            if self._users == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, _SWITCH_INTERVAL))
            self._users += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                sys.setswitchinterval(self._saved)


short_switch_interval = ShortSwitchInterval()


def new_sha256() -> Any:
    """OpenSSL's sha256, imported only when a file is hashed (loading OpenSSL costs
    start-up). Straight from ``_hashlib``, the object ``hashlib.sha256`` is: importing
    hashlib itself also probes a dozen other algorithms, a few ms on every verify."""
    try:
        from _hashlib import openssl_sha256
    except ImportError:  # pragma: no cover - a Python built without OpenSSL
        from hashlib import sha256

        return sha256()
    return openssl_sha256()


def hash_mapping(
    mm: mmap.mmap, end: int, stop: Any = None, drop: Any = None
) -> tuple[bool, bool | None]:
    """(True, trailer matches) for the mapping ``mm`` whose data ends at ``end`` and
    whose 32-byte sha256 trailer follows; (True, None) when ``stop`` (an Event) is set
    meanwhile. Chunks of :data:`SHA_CHUNK`: hashlib releases the GIL on each, and
    ``drop(offset, size)`` lets the caller give the chunk's pages back afterwards."""
    h = new_sha256()
    with memoryview(mm) as view:
        for offset in range(0, end, SHA_CHUNK):
            if stop is not None and stop.is_set():
                return True, None
            size = min(SHA_CHUNK, end - offset)
            h.update(view[offset : offset + size])
            if drop is not None:
                drop(offset, size)
        trailer = bytes(view[end : end + TRAILER_SIZE])
    return True, h.digest() == trailer


def _drop(mm: mmap.mmap, start: int, length: int) -> None:
    if not hasattr(mmap, "MADV_DONTNEED"):
        return
    aligned = start - start % mmap.PAGESIZE
    try:
        mm.madvise(mmap.MADV_DONTNEED, aligned, length + start - aligned)
    except (OSError, ValueError):
        pass


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class _Flag:
    """``threading.Event``'s ``set``/``is_set``, enough for :func:`hash_mapping`'s stop
    (the hashing thread only polls it between chunks)."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


# The hashing threads still running (EarlyHash objects): tests check that none outlives
# its command. Plain _thread threads: importing threading would delay the hash's start.
_running: set[int] = set()


def running() -> int:
    """How many early hashes are still running (their thread not yet ended)."""
    return len(_running)


class EarlyHash:
    """A sha256 of ``path`` running in a thread from construction. Never raises: a file
    that cannot be opened, is not regular, is age-encrypted or has no trailer by size
    gives a job that is simply not usable (:meth:`take` returns None)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._ident: tuple[int, int, int, int] | None = None
        self._outcome: list[tuple[bool, bool | None]] = []
        self._done: Any = None  # a lock the hashing thread holds until it ends
        self._stop: _Flag | None = None
        self._fd = -1
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
            st = os.fstat(self._fd)
            if (
                not stat.S_ISREG(st.st_mode)
                or st.st_size % 512 != TRAILER_SIZE
                or os.pread(self._fd, 34, 0).startswith(_AGE_PREFIXES)
            ):
                self._close()
                return
            mm = mmap.mmap(self._fd, st.st_size, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            self._close()
            return
        self._ident = _identity(st)
        stop = self._stop = _Flag()
        end = st.st_size - TRAILER_SIZE
        done = _thread.allocate_lock()
        done.acquire()
        key = id(self)

        def run() -> None:
            try:
                self._outcome.append(hash_mapping(mm, end, stop, lambda o, n: _drop(mm, o, n)))
            except (OSError, ValueError):  # the file shrank under us: no verdict here
                pass
            finally:
                try:
                    mm.close()
                except BufferError:  # pragma: no cover - no view outlives hash_mapping
                    pass
                _running.discard(key)
                done.release()

        # Load OpenSSL here, before the thread starts: loading it in the thread holds the
        # GIL for milliseconds while the main thread imports the reader.
        new_sha256()
        short_switch_interval.__enter__()
        _running.add(key)
        try:
            # like a daemon thread: it never holds the process up at exit
            _thread.start_new_thread(run, ())
        except BaseException:
            _running.discard(key)
            short_switch_interval.__exit__()
            mm.close()
            self._close()
            raise
        self._done = done

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _finish(self) -> None:
        if self._done is not None:
            self._done.acquire()  # the thread's end
            self._done.release()
            self._done = None
            short_switch_interval.__exit__()
        self._close()

    def matches(self, fd: int) -> bool:
        """Is the file open as ``fd`` the one being hashed (and the hash running)?"""
        if self._ident is None or self._done is None:
            return False
        try:
            return _identity(os.fstat(fd)) == self._ident
        except OSError:
            return False

    def result(self) -> tuple[bool, bool | None] | None:
        """(present, valid) once the thread is done; None when it gave no verdict (the
        file shrank, or the job was cancelled or never started). Waits for it."""
        self._finish()
        if not self._outcome or self._outcome[0][1] is None:
            return None
        return self._outcome[0]

    def cancel(self) -> None:
        """Stop hashing (if it runs) and release the file."""
        if self._stop is not None:
            self._stop.set()
        self._finish()

    def __enter__(self) -> EarlyHash:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


# --- started by the entry point, taken over by the command ---------------------------

_pending: list[tuple[str, EarlyHash]] = []
# Options of `snapshot verify` / `snapshot status --verify` that take a value, and the
# flags that take none: any other option and the command line is left to the parser.
_VALUE_OPTIONS = ("-o", "--output")
_FLAGS = ("--verify",)


def verify_target(argv: Sequence[str]) -> str | None:
    """The FILE of ``snapshot verify FILE`` or ``snapshot status --verify FILE`` when
    ``argv`` is plainly that (only ``-o/--output`` besides), else None: a guess made
    before the parser runs, so anything unusual (other options, decrypt flags, two
    operands, ``--``) gives None and the command starts its own hash as before."""
    if len(argv) < 3 or argv[0] != "snapshot" or argv[1] not in ("verify", "status"):
        return None
    operands: list[str] = []
    flags: set[str] = set()
    words = iter(argv[2:])
    for word in words:
        if word in _VALUE_OPTIONS:
            if next(words, None) is None:
                return None
        elif word.startswith(("--output=", "-o")) and word not in _FLAGS:
            continue
        elif word in _FLAGS:
            flags.add(word)
        elif word.startswith("-"):
            return None
        else:
            operands.append(word)
    if len(operands) != 1 or (argv[1] == "status" and "--verify" not in flags):
        return None
    return operands[0]


def start_for_argv(argv: Sequence[str]) -> None:
    """Start hashing FILE now when ``argv`` is a plain verify of FILE (see
    :func:`verify_target`); :func:`take` hands the job to the command."""
    path = verify_target(argv)
    if path is not None:
        _pending.append((path, EarlyHash(path)))


def take(path: str) -> EarlyHash | None:
    """The job started for ``path`` by :func:`start_for_argv`, once; None otherwise
    (another file: that job is stopped)."""
    while _pending:
        started, job = _pending.pop()
        if started == path:
            return job
        job.cancel()
    return None


def drop_pending() -> None:
    """Stop a job nobody took (a usage error, --help): the thread ends, the file closes."""
    while _pending:
        _pending.pop()[1].cancel()


__all__ = [
    "EarlyHash",
    "ShortSwitchInterval",
    "hash_mapping",
    "new_sha256",
    "running",
    "short_switch_interval",
    "start_for_argv",
    "take",
    "verify_target",
]
