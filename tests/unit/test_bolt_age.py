"""Age-encrypted snapshots: identities, passphrases, streaming, and no plaintext on disk."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path
from typing import Any

import pyrage
import pytest

from etcdtui.services.snapshots.agestream import decrypt_passphrase
from etcdtui.services.snapshots.errors import BadIdentity, DecryptionFailed, IdentityRequired
from etcdtui.services.snapshots.open_file import (
    DecryptKeys,
    age_stanzas,
    encryption_of,
    load_identities,
    open_snapshot,
)
from etcdtui.services.snapshots.status import snapshot_status, verify
from tests.support.bolt_builder import SAMPLE, build_db, with_trailer

PLAIN = with_trailer(build_db(SAMPLE))


@pytest.mark.parametrize("size", [0, 65536, 65536 * 2 + 7])
def test_streaming_passphrase_decryption_matches_pyrage(size: int) -> None:
    data = random.Random(size).randbytes(size)
    out = io.BytesIO()
    assert decrypt_passphrase(io.BytesIO(pyrage.passphrase.encrypt(data, "pw")), out, "pw") == size
    assert out.getvalue() == data


def test_streaming_passphrase_decryption_refuses_damage() -> None:
    ct = pyrage.passphrase.encrypt(b"x" * 100_000, "pw")
    with pytest.raises(DecryptionFailed, match="wrong passphrase"):
        decrypt_passphrase(io.BytesIO(ct), io.BytesIO(), "nope")
    flipped = bytearray(ct)
    flipped[-5] ^= 1
    with pytest.raises(DecryptionFailed, match="damaged"):
        decrypt_passphrase(io.BytesIO(bytes(flipped)), io.BytesIO(), "pw")
    with pytest.raises(DecryptionFailed):
        decrypt_passphrase(io.BytesIO(ct[:-65536]), io.BytesIO(), "pw")
    with pytest.raises(DecryptionFailed):
        decrypt_passphrase(io.BytesIO(ct[:40]), io.BytesIO(), "pw")
    header_flip = bytearray(ct)
    header_flip[ct.index(b"scrypt") + 10] ^= 1  # inside the salt: MAC or unwrap must fail
    with pytest.raises(DecryptionFailed):
        decrypt_passphrase(io.BytesIO(bytes(header_flip)), io.BytesIO(), "pw")


def test_recipient_file_is_not_a_passphrase_file() -> None:
    ident = pyrage.x25519.Identity.generate()
    ct = pyrage.encrypt(b"data", [ident.to_public()])
    with pytest.raises(DecryptionFailed, match="not encrypted with a passphrase"):
        decrypt_passphrase(io.BytesIO(ct), io.BytesIO(), "pw")


def test_decrypted_snapshot_lives_in_anonymous_memory(tmp_path: Path) -> None:
    ident = pyrage.x25519.Identity.generate()
    (tmp_path / "id.txt").write_text(f"# created by a test\n{ident}\n")
    enc = tmp_path / "snap.db.age"
    enc.write_bytes(pyrage.encrypt(PLAIN, [ident.to_public()]))
    assert encryption_of(enc) == "age" and age_stanzas(enc) == ["X25519"]
    keys = DecryptKeys(load_identities(tmp_path / "id.txt"))
    before = set(os.listdir(tmp_path))
    with open_snapshot(enc, keys) as db:
        target = os.readlink(f"/proc/self/fd/{db._fd}")
        assert target.startswith("/memfd:"), target
        assert db.encrypted
    assert set(os.listdir(tmp_path)) == before
    plain_path = tmp_path / "plain.db"
    plain_path.write_bytes(PLAIN)
    assert unverified(snapshot_status(enc, keys)) == unverified(snapshot_status(plain_path))


def test_passphrase_file_round_trip_and_errors(tmp_path: Path) -> None:
    enc = tmp_path / "p.age"
    enc.write_bytes(pyrage.passphrase.encrypt(PLAIN, "correct horse"))
    assert age_stanzas(enc) == ["scrypt"]
    assert verify(enc, DecryptKeys(passphrase="correct horse")).ok
    with pytest.raises(IdentityRequired, match="passphrase"):
        verify(enc)
    with pytest.raises(DecryptionFailed):
        verify(enc, DecryptKeys(passphrase="wrong"))
    armored = tmp_path / "a.age"
    armored.write_bytes(pyrage.passphrase.encrypt(PLAIN, "pw", armored=True))
    assert encryption_of(armored) == "age" and age_stanzas(armored) == ["scrypt"]
    assert verify(armored, DecryptKeys(passphrase="pw")).ok


def test_armored_passphrase_file_streams_without_pyrages_time_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyrage refuses a passphrase file whose work factor it estimates would take too long
    here ("Excessive work parameter"), which a busy bastion hits with files sealed on a
    fast workstation. The armored file is decoded line by line into our own streaming
    decryption instead, so only our own work-factor limit applies."""

    def refuse(*_args: object, **_kw: object) -> bytes:
        raise pyrage.DecryptError("Excessive work parameter for passphrase.")

    armored = tmp_path / "a.age"
    armored.write_bytes(pyrage.passphrase.encrypt(PLAIN, "pw", armored=True))
    monkeypatch.setattr(pyrage.passphrase, "decrypt", refuse)
    assert verify(armored, DecryptKeys(passphrase="pw")).ok
    with pytest.raises(DecryptionFailed, match="wrong passphrase"):
        verify(armored, DecryptKeys(passphrase="nope"))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text.replace("-----END AGE ENCRYPTED FILE-----\n", ""), "before its END"),
        (lambda text: text.replace("\n", "\n!!!!\n", 2).replace("\n!!!!\n", "\n", 1), "base64"),
        (
            lambda text: text.replace("\n", "A" * 2000 + "\n", 2).replace("A" * 2000, "", 1),
            "overlong",
        ),
    ],
)
def test_damaged_armor_is_named(tmp_path: Path, damage: Any, message: str) -> None:
    text = pyrage.passphrase.encrypt(PLAIN, "pw", armored=True).decode()
    bad = tmp_path / "bad.age"
    bad.write_text(damage(text))
    with pytest.raises(DecryptionFailed, match=message):
        verify(bad, DecryptKeys(passphrase="pw"))


def test_identity_file_errors_name_the_problem(tmp_path: Path) -> None:
    cases = {
        "garbage": "not an age identity",
        "AGE-SECRET-KEY-1NOTVALID\n": "invalid age identity",
        "AGE-PLUGIN-YUBIKEY-1XYZ\n": "plugin",
        "# only a comment\n": "no identity",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nnonsense\n-----END OPENSSH PRIVATE KEY-----\n": (
            "not a usable ssh private key"
        ),
    }
    for i, (text, message) in enumerate(cases.items()):
        path = tmp_path / f"id{i}"
        path.write_text(text)
        with pytest.raises(BadIdentity, match=message):
            load_identities(path)
    with pytest.raises(BadIdentity, match="cannot read"):
        load_identities(tmp_path / "missing")


def test_encrypted_file_without_keys_is_a_usage_error(tmp_path: Path) -> None:
    ident = pyrage.x25519.Identity.generate()
    enc = tmp_path / "x.age"
    enc.write_bytes(pyrage.encrypt(PLAIN, [ident.to_public()]))
    with pytest.raises(IdentityRequired) as info:
        snapshot_status(enc)
    assert info.value.exit_code == 2 and "X25519" in info.value.cause


def unverified(st: dict[str, Any]) -> dict[str, Any]:
    """A status without ``sha256.verified``: that names the last check of one exact file,
    so an encrypted copy and its plain original differ there by design."""
    return {**st, "sha256": {k: v for k, v in st["sha256"].items() if k != "verified"}}
