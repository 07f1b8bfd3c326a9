"""One passphrase-file rule for saving (encrypting) and for reading (decrypting)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services.snapshots import crypto, open_file
from etcdtui.services.snapshots.errors import PassphraseInvalid

Reader = Callable[[Path], str]
READERS: list[Reader] = [crypto.read_passphrase_file, open_file.read_passphrase_file]


@pytest.mark.parametrize("read", READERS)
def test_first_line_is_the_passphrase(read: Reader, tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("correct horse\r\nsecond line\n")
    assert read(pw) == "correct horse"


@pytest.mark.parametrize("read", READERS)
def test_empty_or_unreadable_file_is_an_unusable_passphrase(read: Reader, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\nlater line\n")
    with pytest.raises(PassphraseInvalid, match="empty") as caught:
        read(empty)
    assert "--passphrase-file" in caught.value.fix  # not the identity-file advice
    with pytest.raises(PassphraseInvalid, match="cannot read"):
        read(tmp_path / "missing")


@pytest.mark.parametrize("read", READERS)
def test_bytes_that_are_not_utf8_are_refused_not_replaced(read: Reader, tmp_path: Path) -> None:
    pw = tmp_path / "latin1"
    pw.write_bytes("pässword\n".encode("latin-1"))
    with pytest.raises(PassphraseInvalid, match="UTF-8"):
        read(pw)
