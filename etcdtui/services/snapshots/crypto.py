"""Streaming age encryption for `snapshot save`: constant memory, no plaintext on disk.

Two writers produce the standard age v1 format (https://age-encryption.org/v1):

* :class:`RecipientEncryptor` for X25519 (``age1...``), ssh-ed25519 and ssh-rsa recipients
  runs ``pyrage.encrypt_io`` in one worker thread. pyrage pulls plaintext from a bounded
  in-memory pipe (at most :data:`PIPE_LIMIT` bytes queued) and writes ciphertext straight
  to the destination file, so memory stays constant whatever the snapshot size.
* :class:`PassphraseEncryptor` for a passphrase. pyrage only offers passphrase (scrypt)
  encryption of whole byte strings, which would hold the snapshot in memory twice, so this
  writer builds the same age format itself from ``cryptography`` primitives: an scrypt
  recipient stanza, the HMAC-SHA256 header MAC and the ChaCha20-Poly1305 STREAM payload in
  64 KiB chunks. It is checked against pyrage's and the ``age`` CLI's decryption in tests.

Decryption for reading lives in :mod:`etcdtui.services.snapshots.open_file`.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from etcdtui.i18n import N_, _
from etcdtui.safeio import read_limited
from etcdtui.services.snapshots.errors import PassphraseInvalid as PassphraseInvalid
from etcdtui.services.snapshots.errors import SnapshotError
from etcdtui.services.snapshots.passphrase_file import (
    read_passphrase_file as read_passphrase_file,
)

AGE_CHUNK = 64 * 1024  # plaintext bytes per STREAM chunk (age v1)
AGE_TAG = 16  # Poly1305 tag per chunk
PIPE_LIMIT = 4 * 1024 * 1024  # plaintext queued for the encryption thread, at most
DEFAULT_SCRYPT_LOG_N = 18  # age's own default work factor
_MAX_KEY_FILE = 64 * 1024


class RecipientInvalid(SnapshotError):
    code = "snapshot-bad-recipient"
    exit_code = 2
    default_title = N_("Invalid encryption recipient")
    default_fix = N_(
        "Pass an age X25519 recipient (age1..., from age-keygen -y) with --encrypt-to, or an "
        "OpenSSH public key file (ssh-ed25519 or ssh-rsa, e.g. ~/.ssh/id_ed25519.pub) with "
        "--encrypt-ssh."
    )
    default_console_fix = N_(
        "In the save dialog's Encrypt to field, type an age X25519 recipient (age1..., "
        "from age-keygen -y) or an OpenSSH public key file (ssh-ed25519 or ssh-rsa, e.g. "
        "~/.ssh/id_ed25519.pub)."
    )


class EncryptionFailed(SnapshotError):
    code = "snapshot-encrypt-failed"
    default_title = N_("Encryption failed")
    default_fix = N_("No file was written. Check the disk and retry.")


@dataclass(frozen=True)
class Encryption:
    """Who can decrypt a snapshot. ``identifiers`` are public and go in the sidecar."""

    recipients: tuple[Any, ...] = ()
    identifiers: tuple[str, ...] = ()
    passphrase: str | None = field(default=None, repr=False)
    scrypt_log_n: int = DEFAULT_SCRYPT_LOG_N

    def __post_init__(self) -> None:
        if self.passphrase is not None and self.recipients:
            raise RecipientInvalid(
                _("a passphrase cannot be combined with public-key recipients"),
                fix=_(
                    "age files encrypted with a passphrase have exactly one recipient: use "
                    "either --passphrase/--passphrase-file or --encrypt-to/--encrypt-ssh."
                ),
                console_fix=_(
                    "age files encrypted with a passphrase have exactly one recipient: in the "
                    "save dialog, fill either the passphrase or Encrypt to, not both."
                ),
            )
        if self.passphrase is None and not self.recipients:
            raise RecipientInvalid(_("encryption was asked for without any recipient"))


# --- recipients ---------------------------------------------------------------------------


def x25519_recipient(text: str) -> tuple[Any, str]:
    """Parse ``age1...``; return (pyrage recipient, canonical identifier)."""
    import pyrage

    value = text.strip()
    if not value.startswith("age1"):
        raise RecipientInvalid(
            _("{value!r} is not an age X25519 recipient (they start with age1)").format(
                value=value[:80]
            )
        )
    try:
        return pyrage.x25519.Recipient.from_str(value), value
    except Exception as exc:  # pyrage.RecipientError
        raise RecipientInvalid(
            _("{value!r} is not a valid age recipient: {why}").format(value=value[:80], why=exc)
        ) from None


def ssh_fingerprint(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint of a public key blob (as `ssh-keygen -l` prints it)."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def ssh_recipient(path: str | os.PathLike[str]) -> tuple[Any, str]:
    """Read an OpenSSH public key file (ssh-ed25519 or ssh-rsa).

    Returns (pyrage recipient, "<type> SHA256:<fingerprint>")."""
    import pyrage

    p = Path(path)
    try:
        text = read_limited(p, _MAX_KEY_FILE).decode("utf-8", errors="replace")
    except OSError as exc:
        raise RecipientInvalid(
            _("cannot read the public key file {path}: {why}").format(
                path=p, why=exc.strerror or exc
            )
        ) from None
    if "PRIVATE KEY" in text:
        raise RecipientInvalid(
            _("{path} is a private key; encryption needs the public key").format(path=p),
            fix=_("Pass the .pub file (ssh-keygen -y -f KEY prints it)."),
        )
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if len(lines) != 1:
        raise RecipientInvalid(_("{path} must hold exactly one public key line").format(path=p))
    parts = lines[0].split()
    if len(parts) < 2 or parts[0] not in ("ssh-ed25519", "ssh-rsa"):
        kind = parts[0] if parts else "?"
        raise RecipientInvalid(
            _(
                "{path}: key type {kind!r} is not supported by age (use ssh-ed25519 or ssh-rsa)"
            ).format(path=p, kind=kind[:40])
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
        recipient = pyrage.ssh.Recipient.from_str(f"{parts[0]} {parts[1]}")
    except Exception as exc:
        raise RecipientInvalid(
            _("{path} is not a valid {kind} public key: {why}").format(
                path=p, kind=parts[0], why=exc
            )
        ) from None
    return recipient, f"{parts[0]} {ssh_fingerprint(blob)}"


def build_encryption(
    age_recipients: Sequence[str] = (),
    ssh_key_files: Sequence[str | os.PathLike[str]] = (),
    passphrase: str | None = None,
    *,
    scrypt_log_n: int = DEFAULT_SCRYPT_LOG_N,
) -> Encryption | None:
    """Validate everything up front (before any byte is streamed); None = no encryption."""
    recipients: list[Any] = []
    identifiers: list[str] = []
    for text in age_recipients:
        rec, ident = x25519_recipient(text)
        recipients.append(rec)
        identifiers.append(ident)
    for path in ssh_key_files:
        rec, ident = ssh_recipient(path)
        recipients.append(rec)
        identifiers.append(ident)
    if passphrase is not None:
        if not passphrase:
            raise PassphraseInvalid(_("the passphrase is empty"))
        identifiers.insert(0, "passphrase")
    elif not recipients:
        return None
    return Encryption(tuple(recipients), tuple(identifiers), passphrase, scrypt_log_n)


# --- writers ------------------------------------------------------------------------------


class Sink(Protocol):
    def __call__(self, data: bytes) -> None: ...


class _Aborted(Exception):
    pass


class _Pipe:
    """Bounded byte pipe from the event loop to the encryption thread."""

    def __init__(self, limit: int = PIPE_LIMIT) -> None:
        self._cond = threading.Condition()
        self._chunks: collections.deque[bytes] = collections.deque()
        self._queued = 0
        self._offset = 0
        self._limit = limit
        self.closed = False
        self.aborted = False

    def try_push(self, data: bytes) -> bool:
        with self._cond:
            if self.aborted:
                raise _Aborted
            if self._queued and self._queued + len(data) > self._limit:
                return False
            self._chunks.append(data)
            self._queued += len(data)
            self._cond.notify_all()
            return True

    def push_blocking(self, data: bytes) -> None:
        with self._cond:
            while not self.aborted and self._queued and self._queued + len(data) > self._limit:
                self._cond.wait()
            if self.aborted:
                raise _Aborted
            self._chunks.append(data)
            self._queued += len(data)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def abort(self) -> None:
        with self._cond:
            self.aborted = True
            self._cond.notify_all()

    def read(self, size: int = -1) -> bytes:
        """File-like read for pyrage: blocks until data, end of stream or abort."""
        with self._cond:
            while not self._chunks and not self.closed and not self.aborted:
                self._cond.wait()
            if self.aborted:
                raise _Aborted("snapshot stream aborted")
            if not self._chunks:
                return b""
            head = self._chunks[0]
            n = len(head) - self._offset if size is None or size < 0 else size
            out = head[self._offset : self._offset + n]
            self._offset += len(out)
            if self._offset >= len(head):
                self._chunks.popleft()
                self._offset = 0
            self._queued -= len(out)
            self._cond.notify_all()
            return out


class _FileWriter:
    """Where ciphertext goes: a raw fd, through a sink callback (hash, count)."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    def write(self, data: bytes) -> int:
        self._sink(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None


class RecipientEncryptor:
    """pyrage.encrypt_io in a worker thread, fed through a bounded pipe."""

    def __init__(self, enc: Encryption, sink: Sink) -> None:
        self._pipe = _Pipe()
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run,
            args=(enc.recipients, _FileWriter(sink)),
            name="etcdtui-age",
            daemon=True,
        )
        self._thread.start()

    def _run(self, recipients: tuple[Any, ...], writer: _FileWriter) -> None:
        import pyrage

        try:
            pyrage.encrypt_io(self._pipe, writer, list(recipients))
        except BaseException as exc:  # reported to the event loop by finish()
            self._error = exc
            self._pipe.abort()

    async def write(self, data: bytes) -> None:
        try:
            if not self._pipe.try_push(data):
                await asyncio.to_thread(self._pipe.push_blocking, data)
        except _Aborted:
            raise self._failure() from None

    async def finish(self) -> None:
        self._pipe.close()
        await asyncio.to_thread(self._thread.join)
        if self._error is not None:
            raise self._failure()

    def abort(self) -> None:
        self._pipe.abort()
        self._thread.join(timeout=30)

    def _failure(self) -> EncryptionFailed:
        exc = self._error
        cause = exc.strerror if isinstance(exc, OSError) else str(exc) if exc else ""
        return EncryptionFailed(cause or _("the encryption thread stopped"))


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _hkdf(key: bytes, salt: bytes, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


def passphrase_header(passphrase: str, log_n: int, file_key: bytes) -> bytes:
    """The age v1 header with a single scrypt stanza, MAC included."""
    import hmac

    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt = os.urandom(16)
    wrap_key = Scrypt(
        salt=b"age-encryption.org/v1/scrypt" + salt, length=32, n=1 << log_n, r=8, p=1
    ).derive(passphrase.encode("utf-8"))
    body = ChaCha20Poly1305(wrap_key).encrypt(b"\x00" * 12, file_key, None)
    header = (
        b"age-encryption.org/v1\n"
        + b"-> scrypt "
        + _b64(salt)
        + b" "
        + str(log_n).encode()
        + b"\n"
        + _b64(body)
        + b"\n"  # 32 bytes: 43 characters, one short final line
        + b"---"
    )
    mac = hmac.new(_hkdf(file_key, b"", b"header"), header, hashlib.sha256).digest()
    return header + b" " + _b64(mac) + b"\n"


class PassphraseEncryptor:
    """age v1 with an scrypt stanza, written by us chunk by chunk (see module doc)."""

    def __init__(self, enc: Encryption, sink: Sink) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

        assert enc.passphrase is not None
        file_key = os.urandom(16)
        self._sink = sink
        self._header = passphrase_header(enc.passphrase, enc.scrypt_log_n, file_key)
        nonce = os.urandom(16)
        self._aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
        self._prefix = self._header + nonce
        self._buf = bytearray()
        self._counter = 0

    @classmethod
    async def create(cls, enc: Encryption, sink: Sink) -> PassphraseEncryptor:
        """scrypt takes about a second: derive the key off the event loop."""
        return await asyncio.to_thread(cls, enc, sink)

    def _seal(self, chunk: bytes, last: bool) -> None:
        nonce = self._counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        self._counter += 1
        out = self._aead.encrypt(nonce, chunk, None)
        if self._prefix:
            out, self._prefix = self._prefix + out, b""
        self._sink(out)

    async def write(self, data: bytes) -> None:
        self._buf += data
        # Keep at least one byte back: the final chunk must carry the "last" flag.
        while len(self._buf) > AGE_CHUNK:
            self._seal(bytes(self._buf[:AGE_CHUNK]), last=False)
            del self._buf[:AGE_CHUNK]

    async def finish(self) -> None:
        self._seal(bytes(self._buf), last=True)
        self._buf.clear()

    def abort(self) -> None:
        self._buf.clear()


Encryptor = RecipientEncryptor | PassphraseEncryptor


async def make_encryptor(enc: Encryption, sink: Sink) -> Encryptor:
    if enc.passphrase is not None:
        return await PassphraseEncryptor.create(enc, sink)
    return RecipientEncryptor(enc, sink)


def age_payload_size(plain_size: int) -> int:
    """Bytes after the header for ``plain_size`` bytes of plaintext (nonce + chunks)."""
    chunks = max(1, -(-plain_size // AGE_CHUNK))
    return 16 + plain_size + chunks * AGE_TAG


def age_header_length(head: bytes) -> int | None:
    """Length of the age header at the start of ``head`` (through the MAC line)."""
    if not head.startswith(b"age-encryption.org/v1\n"):
        return None
    pos = head.find(b"\n--- ")
    if pos < 0:
        return None
    end = head.find(b"\n", pos + 1)
    return None if end < 0 else end + 1


__all__ = [
    "Encryption",
    "EncryptionFailed",
    "PassphraseInvalid",
    "RecipientInvalid",
    "age_header_length",
    "age_payload_size",
    "build_encryption",
    "make_encryptor",
    "read_passphrase_file",
    "ssh_recipient",
    "x25519_recipient",
]
