"""The passphrase file: its first line is the passphrase (age scrypt recipients)."""

from __future__ import annotations

import os

from etcdtui.i18n import _
from etcdtui.safeio import read_limited
from etcdtui.services.snapshots.errors import PassphraseInvalid

MAX_PASSPHRASE_FILE = 64 * 1024


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The first line of ``path`` (without its line ending); refuses an empty one."""
    from pathlib import Path  # here: most snapshots are read without a passphrase

    p = Path(path)
    try:
        text = read_limited(p, MAX_PASSPHRASE_FILE, allow_pipe=True).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else _("not UTF-8 text")
        raise PassphraseInvalid(
            _("cannot read the passphrase file {path}: {why}").format(path=p, why=why)
        ) from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise PassphraseInvalid(_("the first line of {path} is empty").format(path=p))
    return lines[0]
