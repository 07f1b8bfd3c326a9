"""The message catalogues are complete, fresh and consistent with the code.

- the .pot holds exactly the messages the code marks (extraction by scripts/i18n);
- every .po holds exactly the .pot's messages, all translated, none fuzzy;
- every translation keeps the placeholders of its source;
- every shipped .mo is what its .po compiles to;
- the code's own messages use named placeholders only.
Message *sets* are compared, never dates or headers, so a re-run that changes nothing
does not fail, and a changed string does. Run scripts/i18n to fix the first two.
"""

from __future__ import annotations

import gettext
import importlib.machinery
import importlib.util
import io
import re
import string
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "etcdtui" / "locale"
POT = LOCALE / "etcdtui.pot"
POS = sorted(LOCALE.glob("*/LC_MESSAGES/etcdtui.po"))
# argparse's own msgids (etcdtui/cli/argparse_i18n.py) keep argparse's %-placeholders.
FOREIGN = "etcdtui/cli/argparse_i18n.py"


def _script() -> ModuleType:
    path = ROOT / "scripts" / "i18n"
    loader = importlib.machinery.SourceFileLoader("etcdtui_i18n_script", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _ids(cat: Catalog) -> set[Any]:
    return {(m.context, m.id) for m in cat if m.id}


def _strings(msg: Any) -> tuple[str, ...]:
    return msg.string if isinstance(msg.string, tuple) else (msg.string,)


def _sources(msg: Any) -> tuple[str, ...]:
    return msg.id if isinstance(msg.id, tuple) else (msg.id,)


_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0+]*\d*(?:\.\d+)?[sdrifxXeEgGc%]")


def placeholders(text: str, percent: bool = True) -> list[str]:
    """``{name}``/``{name!r:>8}`` fields and (``percent``: for messages Babel flags as
    python-format) ``%s``/``%(name)s`` specs, sorted; ``{{``/``}}`` are literal braces."""
    found: list[str] = []
    try:
        for _lit, field, spec, conv in string.Formatter().parse(text):
            if field is not None:
                found.append(f"{{{field}{'!' + conv if conv else ''}{':' + spec if spec else ''}}}")
    except ValueError as exc:  # unbalanced braces
        found.append(f"<bad braces: {exc}>")
    if percent:
        found += _PERCENT.findall(text)
    return sorted(found)


def test_locale_has_the_template_and_indonesian() -> None:
    assert POT.is_file(), "run scripts/i18n"
    assert LOCALE / "id" / "LC_MESSAGES" / "etcdtui.po" in POS


def test_pot_is_fresh_against_the_code(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.pot"
    _script().extract(fresh)
    want, have = _ids(_read(fresh)), _ids(_read(POT))
    missing = sorted(map(str, want - have))[:20]
    stale = sorted(map(str, have - want))[:20]
    assert want == have, f"run scripts/i18n; new in code: {missing}; gone from code: {stale}"


@pytest.mark.parametrize("po", POS, ids=lambda p: p.parent.parent.name)
def test_po_holds_exactly_the_template_messages(po: Path) -> None:
    have, want = _ids(_read(po)), _ids(_read(POT))
    assert have == want, (
        f"run scripts/i18n; missing: {sorted(map(str, want - have))[:20]}; "
        f"obsolete: {sorted(map(str, have - want))[:20]}"
    )


@pytest.mark.parametrize("po", POS, ids=lambda p: p.parent.parent.name)
def test_every_entry_is_translated_and_none_is_fuzzy(po: Path) -> None:
    cat = _read(po)
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    empty = [m.id for m in cat if m.id and not all(_strings(m))]
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries (scripts/i18n --todo): {fuzzy[:10]}"
    assert not empty, f"{len(empty)} untranslated entries (scripts/i18n --todo): {empty[:10]}"


@pytest.mark.parametrize("po", POS, ids=lambda p: p.parent.parent.name)
def test_translations_keep_their_placeholders(po: Path) -> None:
    wrong = []
    for msg in _read(po):
        if not msg.id:
            continue
        sources = _sources(msg)
        pct = "python-format" in msg.flags
        for i, text in enumerate(_strings(msg)):
            # plural forms: the last English form carries every placeholder
            source = sources[min(i, len(sources) - 1)] if len(sources) > 1 else sources[0]
            if text and placeholders(text, pct) != placeholders(source, pct):
                wrong.append((source, text))
    assert not wrong, f"translations that drop or change a placeholder: {wrong[:5]}"


def test_placeholder_check_can_fail() -> None:
    assert placeholders("{member} on {endpoint}") != placeholders("{anggota} di {endpoint}")
    assert placeholders("{name!r} x") != placeholders("{name} x")
    assert placeholders("{{literal}} {n}") == placeholders("{n} {{harfiah}}")
    assert placeholders("%(prog)s: %s") != placeholders("%(prog)s")


@pytest.mark.parametrize("po", POS, ids=lambda p: p.parent.parent.name)
def test_mo_is_what_the_po_compiles_to(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} missing: run scripts/i18n"
    buf = io.BytesIO()
    write_mo(buf, _read(po))
    buf.seek(0)
    expected = gettext.GNUTranslations(buf)._catalog  # type: ignore[attr-defined]
    with mo.open("rb") as fh:
        shipped = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    changed = sorted(str(k) for k in expected.keys() ^ shipped.keys())[:10]
    changed += [str(k) for k in expected if k in shipped and expected[k] != shipped[k]][:10]
    assert not changed, f"{mo.name} is older than or differs from its .po: run scripts/i18n"


def test_own_messages_use_named_placeholders_only() -> None:
    bad = []
    for msg in _read(POT):
        if not msg.id or all(loc[0].endswith(FOREIGN) for loc in msg.locations):
            continue
        for text in _sources(msg):
            for field in placeholders(text, "python-format" in msg.flags):
                name = field[1:].split("!")[0].split(":")[0].rstrip("}")
                if (field.startswith("%") and field != "%%") or not name or name.isdigit():
                    bad.append((text, field))
    assert not bad, f"positional placeholders (use {{name}}): {bad[:10]}"


def test_plural_messages_go_through_ngettext_with_the_catalogue_plural_rule() -> None:
    cat = _read(LOCALE / "id" / "LC_MESSAGES" / "etcdtui.po")
    assert cat.num_plurals == 1  # Indonesian has one form
    plurals = [m for m in cat if m.pluralizable]
    assert plurals, "no ngettext messages found"
    assert all(len(_strings(m)) == cat.num_plurals for m in plurals)


@pytest.mark.parametrize("po", POS, ids=lambda p: p.parent.parent.name)
def test_babel_checkers_find_nothing(po: Path) -> None:
    """Babel's own checks (what `pybabel compile` reports as errors)."""
    problems = [(msg.id, [str(e) for e in errs]) for msg, errs in _read(po).check()]
    assert not problems, problems[:5]


def test_no_gettext_call_hides_inside_an_f_string() -> None:
    """Python 3.11 tokenizes an f-string as one token: Babel cannot see ``_()`` in it,
    so the text would never reach the catalogue. Build the text around the call."""
    import ast

    found = []
    for path in sorted((ROOT / "etcdtui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr):
                continue
            for inner in ast.walk(node):
                f = getattr(inner, "func", None)
                if isinstance(f, ast.Name) and f.id in ("_", "N_", "ngettext", "pgettext"):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not found, f"gettext calls inside f-strings (not extractable): {found}"


def test_every_error_title_and_fix_is_in_the_catalogue() -> None:
    """Class attributes are invisible to extraction unless marked with N_(): an error
    whose default_title or default_fix is missing here would always show in English."""
    import importlib
    import pkgutil

    import etcdtui
    from etcdtui.errors import EtcdtuiError

    for info in pkgutil.walk_packages(etcdtui.__path__, "etcdtui."):
        if "_pb2" not in info.name:
            importlib.import_module(info.name)
    ids = {msg_id for _ctx, msg_id in _ids(_read(POT))}
    missing = []
    todo: list[type[EtcdtuiError]] = [EtcdtuiError]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        for text in (cls.default_title, cls.default_fix):
            if text and text not in ids:
                missing.append(f"{cls.__module__}.{cls.__name__}: {text!r}")
    assert not missing, f"mark these with N_() and run scripts/i18n: {sorted(set(missing))}"


def test_every_key_description_and_action_label_is_in_the_catalogue() -> None:
    """Bindings and the action registry are built at import: their texts must be N_()
    marked English, which the footer, help and palette translate when shown."""
    import importlib
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import etcdtui
    from etcdtui.ui import actions

    for info in pkgutil.walk_packages(etcdtui.__path__, "etcdtui."):
        if "_pb2" not in info.name:
            importlib.import_module(info.name)
    ids = {msg_id for _ctx, msg_id in _ids(_read(POT))}
    texts: dict[str, str] = {}
    todo: list[type[DOMNode]] = [DOMNode]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("etcdtui."):
            for b in cls.__dict__.get("BINDINGS", []):
                if isinstance(b, Binding) and b.description:
                    texts[b.description] = f"{cls.__module__}.{cls.__name__}"
    for spec in actions.registry():
        texts[spec.description] = f"action {spec.id}"
        texts[spec.group] = f"group of {spec.id}"
    missing = sorted(f"{where}: {text!r}" for text, where in texts.items() if text not in ids)
    assert not missing, f"not in the catalogue (use N_ and run scripts/i18n): {missing}"
