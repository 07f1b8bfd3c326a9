"""Open a snapshot file, decrypting age-encrypted ones without a plaintext file on disk.

A plain file is opened read-only and handed to the bbolt reader as it is. A file that
starts with ``age-encryption.org/v1`` (or the armored ``-----BEGIN AGE ENCRYPTED
FILE-----``) is decrypted with pyrage into an anonymous in-memory file (``memfd``):
it has no name, lives only while the command runs and never reaches the disk (unless
the kernel swaps it). Where ``memfd_create`` is missing, an unnamed temporary file in a
private 0700 directory is used, unlinked before any plaintext is written.

Memory cost, honestly: the decrypted database occupies RAM (shared memory) equal to its
size for as long as the command runs. The decryption itself streams in constant memory:
``pyrage.decrypt_io`` for X25519 and ssh identities, :mod:`agestream` for passphrases,
binary or armored (pyrage only decrypts passphrase files as whole byte strings). scrypt
itself needs 128 * 8 * 2^logN bytes (256 MiB at age's default 18).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence

from etcdtui.i18n import _
from etcdtui.safeio import open_regular, read_limited
from etcdtui.services.snapshots.bolt import BoltDB
from etcdtui.services.snapshots.errors import (
    BadIdentity,
    DecryptionFailed,
    IdentityRequired,
    SnapshotUnreadable,
)
from etcdtui.services.snapshots.passphrase_file import (
    read_passphrase_file as read_passphrase_file,
)

TYPE_CHECKING = False  # typing costs start-up (see etcdtui/records.py)
if TYPE_CHECKING:
    from typing import Any

AGE_MAGIC = b"age-encryption.org/v1\n"
AGE_ARMOR = b"-----BEGIN AGE ENCRYPTED FILE-----"
_HEADER_LIMIT = 64 * 1024


class DecryptKeys:
    """What may open an encrypted snapshot: age/ssh identities and/or a passphrase.
    (A plain class: importing dataclasses is a measurable share of start-up.)"""

    __slots__ = ("identities", "passphrase")

    def __init__(self, identities: list[Any] | None = None, passphrase: str | None = None) -> None:
        self.identities: list[Any] = [] if identities is None else identities
        self.passphrase = passphrase

    def __bool__(self) -> bool:
        return bool(self.identities) or self.passphrase is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DecryptKeys):
            return NotImplemented
        return (self.identities, self.passphrase) == (other.identities, other.passphrase)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:  # never the passphrase
        return f"DecryptKeys(identities={self.identities!r})"


def encryption_of(path: str | os.PathLike[str]) -> str | None:
    """``"age"`` for an age file (binary or armored), None for anything else."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # never open a FIFO or a device here: it could block forever
        with open(path, "rb") as f:
            head = f.read(len(AGE_ARMOR))
    except OSError:
        return None
    if head.startswith(AGE_MAGIC) or head.startswith(AGE_ARMOR):
        return "age"
    return None


def age_stanzas(path: str | os.PathLike[str]) -> list[str]:
    """Recipient stanza types in an age header: e.g. ``["X25519", "ssh-ed25519"]``."""
    with os.fdopen(open_regular(path), "rb") as f:
        head = f.read(_HEADER_LIMIT)
    if head.startswith(AGE_ARMOR):
        import base64

        lines = head.split(b"\n")[1:]
        body = b"".join(ln.strip() for ln in lines if ln and not ln.startswith(b"-----"))
        body = body[: len(body) - len(body) % 4]
        try:
            head = base64.b64decode(body, validate=False)
        except ValueError:
            return []
    types = []
    for line in head.split(b"\n")[1:]:
        if line.startswith(b"---"):
            break
        if line.startswith(b"-> "):
            kind = line[3:].split(b" ")[0].decode("ascii", "replace")
            if not kind.endswith("-grease"):  # random stanzas some writers add on purpose
                types.append(kind)
    return types


def load_identities(path: str | os.PathLike[str]) -> list[Any]:
    """Identities from an age identity file or an unencrypted OpenSSH private key."""
    import pyrage

    try:
        data = read_limited(path, allow_pipe=True)
    except OSError as exc:
        raise BadIdentity(
            _("cannot read the identity file {path}: {err}").format(path=path, err=exc.strerror)
        ) from exc
    if b"PRIVATE KEY-----" in data:
        if b"ENCRYPTED" in data or b"Proc-Type: 4,ENCRYPTED" in data:
            raise BadIdentity(
                _("the ssh key {path} is protected by a passphrase, which is not supported").format(
                    path=path
                )
            )
        try:
            return [pyrage.ssh.Identity.from_buffer(data)]
        except Exception as exc:  # pyrage raises its own error types
            raise BadIdentity(
                _("{path} is not a usable ssh private key (ed25519 or RSA)").format(path=path)
            ) from exc
    identities = []
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("AGE-PLUGIN-"):
            raise BadIdentity(_("age plugin identities are not supported"))
        if not line.startswith("AGE-SECRET-KEY-1"):
            raise BadIdentity(
                _("{path} holds a line that is not an age identity").format(path=path)
            )
        try:
            identities.append(pyrage.x25519.Identity.from_str(line))
        except Exception as exc:
            raise BadIdentity(_("{path} holds an invalid age identity").format(path=path)) from exc
    if not identities:
        raise BadIdentity(_("{path} holds no identity").format(path=path))
    return identities


def _anonymous_fd() -> int:
    """A read-write file descriptor with no name on any file system."""
    if hasattr(os, "memfd_create"):
        try:
            return os.memfd_create("etcdtui-snapshot", os.MFD_CLOEXEC)
        except OSError:
            pass
    import tempfile

    private = tempfile.mkdtemp(prefix="etcdtui-")  # mode 0700
    try:
        fd, name = tempfile.mkstemp(dir=private)
        os.unlink(name)
    finally:
        os.rmdir(private)
    return fd


def _decrypt(path: str, keys: DecryptKeys) -> int:
    import pyrage

    from etcdtui.services.snapshots.agestream import dearmored, decrypt_passphrase

    stanzas = age_stanzas(path)
    passphrase_only = bool(stanzas) and all(s == "scrypt" for s in stanzas)
    if passphrase_only and keys.passphrase is None:
        raise IdentityRequired(
            _("{path} is encrypted with a passphrase").format(path=path),
            fix=_("Pass --passphrase-file FILE, or run interactively to be asked for it."),
            console_fix=_(
                "Press 4 for the snapshots pane, then k to give the passphrase (kept for this "
                "session only), and try again."
            ),
        )
    if not keys:
        raise IdentityRequired(
            _("{path} is age-encrypted (recipients: {types})").format(
                path=path, types=", ".join(stanzas) or "?"
            )
        )
    fd = _anonymous_fd()
    try:
        with os.fdopen(open_regular(path), "rb") as src, open(fd, "wb", closefd=False) as dst:
            if passphrase_only or not keys.identities:
                assert keys.passphrase is not None
                armored = src.read(len(AGE_MAGIC)) != AGE_MAGIC
                src.seek(0)
                decrypt_passphrase(dearmored(src) if armored else src, dst, keys.passphrase)
            else:
                pyrage.decrypt_io(src, dst, keys.identities)
    except OSError as exc:
        os.close(fd)
        raise SnapshotUnreadable(
            _("cannot read {path}: {err}").format(path=path, err=exc.strerror or exc)
        ) from exc
    except DecryptionFailed:
        os.close(fd)
        raise
    except Exception as exc:
        os.close(fd)
        raise DecryptionFailed(
            _("{path}: {reason}").format(path=path, reason=str(exc) or type(exc).__name__)
        ) from exc
    return fd


def decrypt_to_fd(path: str | os.PathLike[str], keys: DecryptKeys) -> int:
    """Decrypt the age file ``path`` into an anonymous in-memory file; return its fd,
    positioned anywhere (readers open ``/dev/fd/N`` or seek). The caller closes it.

    This is how a restore hands an encrypted snapshot to etcdutl: the child gets the fd
    (``pass_fds``) and reads ``/dev/fd/N``; no plaintext file ever has a name."""
    return _decrypt(str(path), keys)


def open_snapshot(path: str | os.PathLike[str], keys: DecryptKeys | None = None) -> BoltDB:
    """Open ``path`` (plain or age-encrypted) as a read-only bbolt database; use it in a
    ``with`` statement, which closes it (a plain function returning the database, its
    own context manager: contextlib costs `snapshot status` start-up)."""
    name = str(path)
    if encryption_of(name) == "age":
        fd = _decrypt(name, keys or DecryptKeys())
        try:
            db = BoltDB(fd, name=name, owns_fd=True)
        except BaseException:
            os.close(fd)
            raise
        db.encrypted = True
    else:
        db = BoltDB.open(name)
    return db


def identities_from_files(paths: Sequence[str]) -> list[Any]:
    out: list[Any] = []
    for p in paths:
        out.extend(load_identities(p))
    return out
