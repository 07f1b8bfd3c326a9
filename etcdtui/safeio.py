"""Reading small files safely, and expanding ``~`` without surprises.

Every small file etcdtui reads (TLS material, the config file, kubeadm manifests,
sidecars, state records, themes) goes through :func:`read_limited`:

* only a regular file is read. A FIFO, a character device (``/dev/zero``), a socket or
  a directory is refused before a single byte is read, so nothing can hang on an open
  or a read, and nothing can grow without bound;
* at most ``limit`` bytes are read (1 MiB by default); a longer file is refused.

The refusals are :class:`OSError` subclasses with a readable ``strerror``, so every
caller that already turns an ``OSError`` into a clear message keeps doing so.
"""

from __future__ import annotations

import errno
import os
import stat
import time

from etcdtui.errors import ConfigError
from etcdtui.i18n import N_, _

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # imported where used: start-up

MAX_SMALL_FILE = 1 << 20  # PEM, YAML and JSON files are small; refuse to slurp anything huge


class NotRegularFile(OSError):
    """The path is a FIFO, a device, a socket or a directory."""


class FileTooLarge(OSError):
    """The file is longer than the limit for its kind."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return _("a directory")
    if stat.S_ISFIFO(mode):
        return _("a FIFO (named pipe)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("a device")
    if stat.S_ISSOCK(mode):
        return _("a socket")
    return _("not a regular file")


def open_regular(
    path: str | os.PathLike[str], *, follow_links: bool = True, allow_pipe: bool = False
) -> int:
    """A read-only descriptor for ``path``, which must be a regular file.

    The file is opened non-blocking (a FIFO cannot block the open) and checked with
    ``fstat`` on the descriptor itself, so no swap between check and read is possible.
    ``allow_pipe`` also accepts a pipe that already has a writer (``<(...)`` in a shell,
    the usual way to hand over a passphrase); it is then read blocking, still bounded."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if allow_pipe and stat.S_ISFIFO(mode):
            os.set_blocking(fd, True)
        elif not stat.S_ISREG(mode):
            raise NotRegularFile(
                errno.EINVAL,
                _("{kind}, not a regular file").format(kind=_kind(mode)),
                str(path),
            )
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_limited(
    path: str | os.PathLike[str],
    limit: int = MAX_SMALL_FILE,
    *,
    follow_links: bool = True,
    allow_pipe: bool = False,
) -> bytes:
    """The whole content of the regular file ``path``, at most ``limit`` bytes.

    Raises :class:`FileNotFoundError` and friends as ``open`` does, :class:`NotRegularFile`
    for anything but a regular file and :class:`FileTooLarge` past ``limit``."""
    fd = open_regular(path, follow_links=follow_links, allow_pipe=allow_pipe)
    try:
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise FileTooLarge(
            errno.EFBIG,
            _("larger than {limit}, which no file of this kind should be").format(
                limit=_size_text(limit)
            ),
            str(path),
        )
    return b"".join(chunks)


def read_limited_text(path: str | os.PathLike[str], limit: int = MAX_SMALL_FILE) -> str:
    """:func:`read_limited`, decoded as UTF-8 (undecodable bytes are replaced)."""
    return read_limited(path, limit).decode("utf-8", errors="replace")


def read_tail(path: str | os.PathLike[str], limit: int = 256 * 1024) -> bytes:
    """The last ``limit`` bytes of the regular file ``path`` (a log that may be huge)."""
    fd = open_regular(path)
    try:
        size = os.fstat(fd).st_size
        os.lseek(fd, max(0, size - limit), os.SEEK_SET)
        chunks: list[bytes] = []
        got = 0
        while got < limit and (chunk := os.read(fd, min(1 << 16, limit - got))):
            chunks.append(chunk)
            got += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _size_text(limit: int) -> str:
    if limit >= 1 << 20 and limit % (1 << 20) == 0:
        return f"{limit >> 20} MiB"
    if limit >= 1 << 10 and limit % (1 << 10) == 0:
        return f"{limit >> 10} KiB"
    return f"{limit} B"


class HomeUnknown(ConfigError):
    code = "home-unknown"
    default_title = N_("Cannot expand ~ in a path")


def expand_user(value: str | os.PathLike[str]) -> Path:
    """``Path(value).expanduser()`` that never raises ``RuntimeError``.

    ``~nouser/x`` (a user that does not exist) and ``~`` without a home directory give a
    :class:`HomeUnknown` error that names the path."""
    from pathlib import Path

    return Path(expand_user_name(value))


def expand_user_name(value: str | os.PathLike[str]) -> str:
    """:func:`expand_user` as a string (no pathlib: start-up)."""
    text = os.fspath(value)
    if not text.startswith("~"):
        return text
    expanded = os.path.expanduser(text)
    if expanded.startswith("~"):
        head = text.split("/", 1)[0]
        raise HomeUnknown(
            _("{path}: {head} names no home directory on this host").format(path=text, head=head),
            fix=_("Write the path out in full (or check the user name after ~)."),
        )
    return expanded


__all__ = [
    "MAX_SMALL_FILE",
    "FileTooLarge",
    "HomeUnknown",
    "NotRegularFile",
    "expand_user",
    "fsync_dir",
    "open_regular",
    "read_limited",
    "read_limited_text",
    "read_tail",
    "stage_private",
    "write_private",
]


def stage_private(part: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to the new file ``part`` (refused if it exists), mode 0600, and
    fsync it. The caller renames it into place and then calls :func:`fsync_dir`; use
    this directly only when several files are committed together (a snapshot and its
    sidecar), else :func:`write_private`. A ``part`` this call created is removed if
    writing it fails; one that already existed is never touched."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(part, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        _unlink_quietly(part)
        raise


def _unlink_quietly(path: str | os.PathLike[str]) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make renames in directory ``path`` durable."""
    dfd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def write_private(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Replace ``path`` with ``data``, all or nothing: a private temp file beside it
    (mode 0600, exclusive, unique per process) is written, fsynced and renamed over
    ``path``, then the directory is fsynced. Readers see the old file or the new one,
    whole; a crash leaves at most a stray ``.part`` that no reader ever opens.

    Plain string paths (os.path): pathlib would cost every `snapshot verify` a few ms
    of imports, after its result is known."""
    target = os.fspath(path)
    target = target.rstrip(os.sep) or target  # "dir/file/" names "dir/file", as Path does
    parent, name = os.path.split(target)
    parent = parent or os.curdir
    os.makedirs(parent, mode=0o700, exist_ok=True)
    tmp = os.path.join(parent, f".{name}.{os.getpid()}.{time.monotonic_ns():x}.part")
    stage_private(tmp, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    fsync_dir(parent)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 (hex) of the regular file ``path``, read a MiB at a time."""
    import hashlib  # only when a file is hashed: importing it costs start-up

    h = hashlib.sha256()
    with os.fdopen(open_regular(path), "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
