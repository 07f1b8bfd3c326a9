"""Console themes: three built in, more from YAML files.

Every theme defines the etcd tokens below; TCSS and table cells use the tokens
(``$leader``, ``$member-unhealthy``, ``$quorum-at-risk`` ...), never raw colours.
Themes shipped as YAML live in the package (``etcdtui/ui/theme_files/*.yaml``, package
data found through importlib.resources, so an installed wheel has them too); the
operator's own go in ``<config dir>/themes/``.
A file that does not parse falls back to the default with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from etcdtui.i18n import _
from etcdtui.paths import config_dir
from etcdtui.safeio import read_limited_text

DEFAULT_THEME = "etcdtui-dark"
TOKENS = (
    "leader",
    "member-healthy",
    "member-unhealthy",
    "member-learner",
    "member-unknown",
    "quorum-healthy",
    "quorum-at-risk",
    "quorum-lost",
    "badge-read-only",
    "badge-insecure",
)
_THEME_KEYS = (
    "name",
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "warning",
    "error",
    "success",
    "dark",
    "variables",
)

_DARK_TOKENS = {
    "leader": "#f2c14e",
    "member-healthy": "#7bc96f",
    "member-unhealthy": "#ff6b6b",
    "member-learner": "#6fb7e9",
    "member-unknown": "#a0a0a0",
    "quorum-healthy": "#2e7d32",
    "quorum-at-risk": "#b26a00",
    "quorum-lost": "#b71c1c",
    "badge-read-only": "#5c6bc0",
    "badge-insecure": "#c62828",
}
_LIGHT_TOKENS = {
    "leader": "#8a5a00",
    "member-healthy": "#1b6e20",
    "member-unhealthy": "#c62828",
    "member-learner": "#0b5fa5",
    "member-unknown": "#616161",
    "quorum-healthy": "#2e7d32",
    "quorum-at-risk": "#e65100",
    "quorum-lost": "#b71c1c",
    "badge-read-only": "#3949ab",
    "badge-insecure": "#b71c1c",
}
_HC_TOKENS = {
    "leader": "#ffff00",
    "member-healthy": "#00ff00",
    "member-unhealthy": "#ff0000",
    "member-learner": "#00ffff",
    "member-unknown": "#ffffff",
    "quorum-healthy": "#008000",
    "quorum-at-risk": "#ff8c00",
    "quorum-lost": "#ff0000",
    "badge-read-only": "#0000ff",
    "badge-insecure": "#ff0000",
}

BUILTIN_THEMES = (
    Theme(
        name="etcdtui-dark",
        primary="#419eda",  # etcd blue
        secondary="#6fb7e9",
        accent="#f2c14e",
        foreground="#e0e0e0",
        background="#11161c",
        surface="#1a222b",
        panel="#22303c",
        warning="#f0a020",
        error="#ff6b6b",
        success="#7bc96f",
        dark=True,
        variables=dict(_DARK_TOKENS),
    ),
    Theme(
        name="etcdtui-light",
        primary="#0b5fa5",
        secondary="#419eda",
        accent="#8a5a00",
        foreground="#1c1c1c",
        background="#f7f7f5",
        surface="#ffffff",
        panel="#e4ebf1",
        warning="#e65100",
        error="#c62828",
        success="#1b6e20",
        dark=False,
        variables=dict(_LIGHT_TOKENS),
    ),
    Theme(
        name="etcdtui-high-contrast",
        primary="#00ffff",
        secondary="#ffff00",
        accent="#ffff00",
        foreground="#ffffff",
        background="#000000",
        surface="#000000",
        panel="#1a1a1a",
        warning="#ffff00",
        error="#ff0000",
        success="#00ff00",
        dark=True,
        variables=dict(_HC_TOKENS),
    ),
)


@dataclass(frozen=True)
class ThemeLoad:
    themes: tuple[Theme, ...]
    warnings: tuple[str, ...]


PACKAGED_THEMES = "theme_files"  # a data directory of the etcdtui.ui package


def theme_dirs() -> list[Path]:
    """Where the operator's theme files live."""
    return [config_dir() / "themes"]


def packaged_theme_files() -> list[Any]:
    """The YAML themes shipped inside the package (importlib.resources Traversables:
    files of an installed wheel or of the source tree alike, never a checkout path)."""
    from importlib.resources import files

    folder = files("etcdtui.ui") / PACKAGED_THEMES
    if not folder.is_dir():
        return []
    return sorted(
        (f for f in folder.iterdir() if f.name.endswith(".yaml") and f.is_file()),
        key=lambda f: f.name,
    )


def _check_color(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(_("{where} must be a colour string").format(where=where))
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(
            _("{where}: {value!r} is not a colour").format(where=where, value=value)
        ) from None
    return value


def theme_from_mapping(raw: Any) -> Theme:
    """Build a Theme from a YAML mapping; missing etcd tokens come from the default."""
    if not isinstance(raw, dict):
        raise ValueError(_("a theme file must be a mapping"))
    unknown = sorted(str(k) for k in raw if k not in _THEME_KEYS)
    if unknown:
        raise ValueError(_("unknown keys: {keys}").format(keys=", ".join(unknown)))
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(_("'name' is required"))
    if "primary" not in raw:
        raise ValueError(_("'primary' is required"))
    dark = raw.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError(_("'dark' must be true or false"))
    colours = {k: _check_color(raw[k], k) for k in _THEME_KEYS[1:12] if raw.get(k) is not None}
    variables = dict(_DARK_TOKENS if dark else _LIGHT_TOKENS)
    extra = raw.get("variables") or {}
    if not isinstance(extra, dict):
        raise ValueError(_("'variables' must be a mapping"))
    for k, v in extra.items():
        variables[str(k)] = _check_color(v, f"variables.{k}")
    return Theme(name=name.strip(), dark=dark, variables=variables, **colours)  # type: ignore[arg-type]


def _read_packaged(res: Any) -> str:
    """A packaged file through a real path (a wheel's zip is extracted to a temporary
    file for the read), read with the same bound as any other file."""
    from importlib.resources import as_file

    with as_file(res) as path:
        return read_limited_text(path)


def load_user_themes(dirs: Iterable[Path] | None = None) -> ThemeLoad:
    """The packaged YAML themes and the operator's (``dirs=None``), or only the files in
    ``dirs``. A file that does not load is skipped with a warning naming it."""
    import yaml  # here: most starts use a built-in theme and never need it

    themes: list[Theme] = []
    warnings: list[str] = []

    def load(where: Any, read: Any) -> None:
        try:
            themes.append(theme_from_mapping(yaml.safe_load(read())))
        except (OSError, ValueError, yaml.YAMLError) as exc:
            warnings.append(
                _("Theme {path} ignored: {why}").format(path=where, why=str(exc).strip())
            )

    if dirs is None:
        for res in packaged_theme_files():
            load(res, lambda res=res: _read_packaged(res))
    for d in theme_dirs() if dirs is None else dirs:
        for path in sorted(d.glob("*.yaml")) if d.is_dir() else ():
            load(path, lambda path=path: read_limited_text(path))
    return ThemeLoad(tuple(themes), tuple(warnings))
