"""One gettext entry point for every user-facing string.

English is the source language. Catalogues live in ``etcdtui/locale/<lang>/LC_MESSAGES/
etcdtui.mo``; when none matches the chosen language the English text is returned unchanged.

- ``_("text")`` translates now: use it where the string is shown.
- ``N_("text")`` only marks a string for extraction (class attributes, module constants,
  tables built at import time); translate it with ``_()`` where it is displayed.
- ``ngettext(singular, plural, n)`` for counts; the result still needs ``.format(n=n)``.
- ``pgettext(context, text)`` when one English word has two meanings (KEY: keyboard/crypto).
- Placeholders are named (``{member}``), never positional, so a translation can reorder them.

The language comes, first match wins, from ``--lang``, the config file's ``ui.language``,
then ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` (gettext's own order).
An unknown language falls back to English silently. See docs/i18n.md.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable, Mapping

DOMAIN = "etcdtui"
# a plain path: pathlib (and the urllib.parse it loads) would cost every command's
# start-up, and the catalogue is looked for only when a language other than English is
# asked for
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")
# gettext's own order of the environment variables that choose the messages' language.
ENV_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
SOURCE_LANGUAGE = "en"

_listeners: list[Callable[[], None]] = []


def _env_languages(env: Mapping[str, str]) -> list[str]:
    """The languages the environment asks for, as gettext reads them: the first variable
    that is set wins; LANGUAGE may list several, separated by colons."""
    for var in ENV_VARS:
        value = env.get(var)
        if value:
            return [v for v in value.split(":") if v]
    return []


def _translation_for(languages: list[str]) -> gettext.NullTranslations:
    # "C"/"POSIX" (also "C.UTF-8") and English mean the source text; gettext would stop
    # at them too, after loading the locale module and looking for a catalogue.
    wanted: list[str] = []
    for lang in languages:
        base = lang.split(".")[0].split("_")[0]
        if base in ("C", "POSIX", SOURCE_LANGUAGE):
            break
        wanted.append(lang)
    if not wanted:
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=wanted, fallback=True)
    except (OSError, ValueError):  # an unreadable catalogue is English, not a crash
        return gettext.NullTranslations()


_translation: gettext.NullTranslations = _translation_for(_env_languages(os.environ))


def set_language(lang: str | None, *, env: Mapping[str, str] | None = None) -> str:
    """Switch the catalogue at run time and return the language now in use.

    ``lang`` (``"id"``, ``"en"``, ``"id_ID.UTF-8"``) wins over the environment; ``None``
    or ``""`` follows the environment. Unknown languages give English, without a warning.
    Listeners registered with :func:`on_language_change` are called afterwards."""
    global _translation
    languages = [lang] if lang else _env_languages(os.environ if env is None else env)
    _translation = _translation_for(languages)
    for listener in list(_listeners):
        listener()
    return current_language()


def current_language() -> str:
    """The language of the active catalogue: ``"id"``, or ``"en"`` for the source text."""
    info = _translation.info()
    return (info.get("language") or SOURCE_LANGUAGE).split("_")[0]


def available_languages() -> list[str]:
    """The source language plus every language with a compiled catalogue."""
    from pathlib import Path

    found = {
        p.parent.parent.name
        for p in Path(LOCALE_DIR).glob(f"*/LC_MESSAGES/{DOMAIN}.mo")
        if p.is_file()
    }
    return [SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE})]


def on_language_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` after every :func:`set_language` (caches of translated text)."""
    _listeners.append(listener)


def _(message: str) -> str:
    """Translate ``message`` into the operator's language."""
    if not message:  # "" would return the catalogue header
        return message
    return _translation.gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translate where shown)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the operator's language."""
    return _translation.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` where the same English word means different things: ``pgettext(
    "keyboard", "KEY")`` (a key to press) is not ``_("KEY")`` (a private key)."""
    return _translation.pgettext(context, message)


__all__ = [
    "N_",
    "_",
    "available_languages",
    "current_language",
    "ngettext",
    "on_language_change",
    "pgettext",
    "set_language",
]
