"""One gettext entry point for every user-facing string.

English is the source language. Catalogues live in ``etcdtui/locale/<lang>/LC_MESSAGES/
etcdtui.mo``; when none matches the user's locale the English text is returned unchanged.
Import ``_`` from here and wrap every string an operator reads (TUI, CLI, runbooks).
"""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "etcdtui"
LOCALE_DIR = Path(__file__).with_name("locale")

_translation: gettext.NullTranslations = gettext.translation(
    DOMAIN, localedir=str(LOCALE_DIR), fallback=True
)


def set_language(lang: str | None) -> None:
    """Switch the catalogue at run time (``None`` uses the environment's locale)."""
    global _translation
    languages = [lang] if lang else None
    _translation = gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=languages, fallback=True
    )


def _(message: str) -> str:
    """Translate ``message`` into the operator's language."""
    return _translation.gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translate where shown)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


__all__ = ["N_", "_", "ngettext", "set_language"]
