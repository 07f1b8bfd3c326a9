"""Streaming decryption of passphrase-protected (scrypt) age files.

pyrage decrypts passphrase files only as whole byte strings, which would hold a large
snapshot in memory twice. This reader follows the age v1 format with ``cryptography``
primitives and decrypts chunk by chunk, in constant memory:

* header: ``age-encryption.org/v1``, one ``-> scrypt <salt> <log2 N>`` stanza whose body
  is the file key wrapped with ChaCha20-Poly1305 (zero nonce) under
  scrypt(passphrase, "age-encryption.org/v1/scrypt" + salt, N, r=8, p=1), then
  ``--- <MAC>``: HMAC-SHA256 of the header up to ``---`` keyed with
  HKDF-SHA256(file key, salt "", info "header");
* payload: a 16-byte nonce, then 64 KiB chunks sealed with ChaCha20-Poly1305 under
  HKDF-SHA256(file key, salt nonce, info "payload"); the chunk nonce is an 11-byte
  big-endian counter and a last-chunk flag byte.

An armored file (``-----BEGIN AGE ENCRYPTED FILE-----``, base64 lines) is read through
:class:`Dearmored`, which decodes it line by line, so it streams the same way. (pyrage's
own passphrase decryption also refuses a work factor it estimates would take too long on
this machine: a file sealed on a fast workstation would then be refused on a busy
bastion; here the only limit is ``MAX_LOG_N``.)
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
from hashlib import sha256
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from etcdtui.i18n import _
from etcdtui.services.snapshots.errors import DecryptionFailed

INTRO = b"age-encryption.org/v1\n"
CHUNK = 64 * 1024
TAG = 16
MAX_HEADER = 64 * 1024
MAX_LOG_N = 22  # refuse work factors that would take minutes and gigabytes
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = b"-----END AGE ENCRYPTED FILE-----"
ARMOR_LINE_LIMIT = 1024  # age writes 64 columns; anything far longer is not armor


class Dearmored(io.RawIOBase):
    """The binary age file inside an armored one, decoded line by line as it is read
    (constant memory). Raises DecryptionFailed on anything that is not age's armor."""

    def __init__(self, src: BinaryIO) -> None:
        self._src = src
        self._pending = b""
        self._done = False
        first = self._line()
        if first != ARMOR_BEGIN:
            raise _fail(_("not an armored age file"))

    def _line(self) -> bytes:
        raw = self._src.readline(ARMOR_LINE_LIMIT + 1)
        if len(raw) > ARMOR_LINE_LIMIT:
            raise _fail(_("the armored age file has an overlong line"))
        return raw.strip()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending and not self._done:
            line = self._line()
            if line == ARMOR_END:
                self._done = True
            elif not line:
                raise _fail(_("the armored age file ends before its END line"))
            else:
                try:
                    self._pending = base64.b64decode(line, validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise _fail(_("the armored age file has a line that is not base64")) from exc
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def dearmored(src: BinaryIO) -> BinaryIO:
    """A buffered reader (``read``/``readline``) over the armored age file ``src``."""
    return io.BufferedReader(Dearmored(src), buffer_size=CHUNK + TAG)  # type: ignore[return-value]


def _b64(text: bytes) -> bytes:
    if b"=" in text or b"\r" in text:
        raise ValueError("padded or CR base64")
    return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)


def _hkdf(key: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


def _fail(reason: str) -> DecryptionFailed:
    return DecryptionFailed(reason)


def _read_header(src: BinaryIO) -> tuple[list[tuple[list[bytes], bytes]], bytes, bytes]:
    """(stanzas as (args, body), bytes covered by the MAC, MAC)."""
    raw = bytearray()

    def line() -> bytes:
        got = src.readline(MAX_HEADER - len(raw) + 1)
        if not got.endswith(b"\n") or len(raw) + len(got) > MAX_HEADER:
            raise _fail(_("the age header is cut short or too long"))
        raw.extend(got)
        return got[:-1]

    if line() + b"\n" != INTRO:
        raise _fail(_("not an age v1 file"))
    stanzas: list[tuple[list[bytes], bytes]] = []
    current = line()
    while current.startswith(b"-> "):
        args = current[3:].split(b" ")
        body = bytearray()
        while True:
            chunk = line()
            body += _b64(chunk)
            if len(chunk) < 64:
                break
        stanzas.append((args, bytes(body)))
        current = line()
    if not current.startswith(b"--- "):
        raise _fail(_("the age header has no MAC line"))
    covered = bytes(raw[: len(raw) - len(current) - 1]) + b"---"
    return stanzas, covered, _b64(current[4:])


def _unwrap(stanzas: list[tuple[list[bytes], bytes]], passphrase: str) -> bytes:
    if len(stanzas) != 1 or stanzas[0][0][:1] != [b"scrypt"]:
        raise _fail(_("the file is not encrypted with a passphrase (or mixes recipients)"))
    args, body = stanzas[0]
    if len(args) != 3 or not args[2].isdigit():
        raise _fail(_("malformed scrypt stanza"))
    salt, log_n = _b64(args[1]), int(args[2])
    if len(salt) != 16 or not 1 <= log_n <= MAX_LOG_N or len(body) != 32:
        raise _fail(_("unsupported scrypt parameters (work factor {n})").format(n=log_n))
    kdf = Scrypt(salt=b"age-encryption.org/v1/scrypt" + salt, length=32, n=1 << log_n, r=8, p=1)
    wrap_key = kdf.derive(passphrase.encode("utf-8"))
    try:
        return ChaCha20Poly1305(wrap_key).decrypt(bytes(12), body, None)
    except InvalidTag as exc:
        raise _fail(_("wrong passphrase")) from exc


def decrypt_passphrase(src: BinaryIO, dst: BinaryIO, passphrase: str) -> int:
    """Decrypt ``src`` into ``dst``; return the plaintext size. Raises DecryptionFailed."""
    try:
        stanzas, covered, mac = _read_header(src)
        file_key = _unwrap(stanzas, passphrase)
    except (ValueError, UnicodeError) as exc:
        raise _fail(_("malformed age header")) from exc
    expected = hmac.new(_hkdf(file_key, b"", b"header"), covered, sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise _fail(_("the age header MAC does not match: the file was altered"))
    nonce = src.read(16)
    if len(nonce) != 16:
        raise _fail(_("the age payload is cut short"))
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    counter = 0
    total = 0
    chunk = src.read(CHUNK + TAG)
    while True:
        following = src.read(CHUNK + TAG) if len(chunk) == CHUNK + TAG else b""
        last = not following
        if len(chunk) < TAG or (counter > 0 and last and len(chunk) == TAG):
            raise _fail(_("the age payload is cut short"))
        iv = counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        try:
            plain = aead.decrypt(iv, chunk, None)
        except InvalidTag as exc:
            raise _fail(_("the age payload is damaged or cut short")) from exc
        dst.write(plain)
        total += len(plain)
        if last:
            return total
        counter += 1
        chunk = following
