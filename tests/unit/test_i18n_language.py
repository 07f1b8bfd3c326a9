"""Choosing the language: --lang, ui.language, LANGUAGE/LC_ALL/LC_MESSAGES/LANG; unknown
languages give English silently; the CLI's help, errors and argparse's own words follow."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from etcdtui import i18n
from etcdtui.cli import choose_language
from etcdtui.config import load_config
from etcdtui.errors import ConfigError, InvalidEndpoint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    yield
    i18n.set_language("en")


def _env(**values: str) -> dict[str, str]:
    """An environment with none of gettext's variables but the ones given."""
    env = {k: v for k, v in os.environ.items() if k not in i18n.ENV_VARS}
    env.update(values)
    return env


def test_indonesian_catalogue_translates_and_english_is_the_source() -> None:
    assert i18n.set_language("id") == "id"
    assert i18n._("Members") == "Anggota"
    assert i18n.ngettext("{n} voter", "{n} voters", 3).format(n=3) == "3 pemilih"
    assert i18n.pgettext("keyboard", "KEY") == "TOMBOL"
    assert i18n._("KEY") == "KUNCI"
    assert i18n.set_language("en") == "en"
    assert i18n._("Members") == "Members"
    assert i18n.pgettext("keyboard", "KEY") == "KEY"


def test_n_marks_without_translating_and_errors_translate_when_raised() -> None:
    i18n.set_language("id")
    assert i18n.N_("Members") == "Members"
    err = InvalidEndpoint("x")
    assert err.title == "URL endpoint tidak valid"
    assert err.fix.startswith("Gunakan URL seperti https://10.0.0.1:2379")
    assert "kesalahan: URL endpoint tidak valid" in err.render()
    assert err.as_dict()["code"] == "invalid-endpoint"  # machine names stay English


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "id_ID.UTF-8"}, "id"),
        ({"LC_MESSAGES": "id_ID.UTF-8", "LANG": "en_US.UTF-8"}, "id"),
        ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "id_ID.UTF-8"}, "en"),
        ({"LANGUAGE": "id", "LC_ALL": "en_US.UTF-8"}, "id"),
        ({"LANGUAGE": "fr:id", "LANG": "C"}, "id"),  # first known one in the list
        ({"LANGUAGE": "en:id", "LANG": "id_ID.UTF-8"}, "en"),  # English chosen first
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_environment_is_read_in_gettext_order(env: dict[str, str], expected: str) -> None:
    assert i18n.set_language(None, env=env) == expected


def test_unknown_language_falls_back_to_english_without_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert i18n.set_language("xx_YY.UTF-8") == "en"
        assert i18n._("Members") == "Members"
    assert capsys.readouterr() == ("", "")


def test_available_languages_lists_the_shipped_catalogues() -> None:
    assert i18n.available_languages() == ["en", "id"]


def test_listeners_hear_a_switch() -> None:
    heard: list[str] = []
    i18n.on_language_change(lambda: heard.append(i18n.current_language()))
    try:
        i18n.set_language("id")
        i18n.set_language("en")
    finally:
        i18n._listeners.clear()
    assert heard == ["id", "en"]


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_config_file_ui_language(tmp_path: Path) -> None:
    path = _config(tmp_path, "ui:\n  language: id\n")
    assert load_config(path).language == "id"
    bad = _config(tmp_path, "ui:\n  language: [id]\n")
    with pytest.raises(ConfigError, match=r"ui\.language"):
        load_config(bad)


def test_flag_beats_config_file_beats_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _config(tmp_path, "ui:\n  language: id\n")
    for var in i18n.ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert choose_language(["--config", str(path), "status"]) == "id"
    assert choose_language(["status", f"--config={path}", "--lang", "en"]) == "en"
    assert choose_language(["--lang=id", "status"]) == "id"
    monkeypatch.setenv("LANG", "id_ID.UTF-8")
    assert choose_language(["--config", str(tmp_path / "missing.yaml")]) == "id"
    broken = _config(tmp_path, "ui: [language\n")  # reported later by the command itself
    monkeypatch.setenv("LANG", "C")
    assert choose_language(["--config", str(broken)]) == "en"


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(ETCDTUI_CONFIG_DIR=env.pop("ETCDTUI_CONFIG_DIR", "/nonexistent"), **env),
        cwd=ROOT,
    )


def test_help_is_indonesian_with_lang_id_in_the_environment() -> None:
    proc = _cli("--help", LANG="id_ID.UTF-8")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for text in ("penggunaan: etcdtui", "opsi:", "tampilkan pesan bantuan ini lalu keluar"):
        assert text in out
    assert "Konsol terminal untuk mengoperasikan klaster etcd" in out
    assert "usage:" not in out and "show this help" not in out
    # command names and flags stay as they are
    assert "--endpoints" in out and "members" in out and "snapshot" in out


def test_sub_command_help_and_argparse_errors_follow_lang() -> None:
    proc = _cli("--lang", "id", "snapshot", "--help")
    assert "penggunaan:" in proc.stdout and "periksa" in proc.stdout.lower()
    proc = _cli("status", "--bogus", LANG="id_ID.UTF-8")
    assert proc.returncode == 2
    assert "kesalahan: argumen tidak dikenal: --bogus" in proc.stderr


def test_errors_name_what_why_and_fix_in_indonesian() -> None:
    proc = _cli("--endpoints", "ftp://x", "status", LANG="id_ID.UTF-8")
    assert proc.returncode == 2
    assert "kesalahan:" in proc.stderr and "penyebab:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_english_stays_english() -> None:
    proc = _cli("--help", LANG="C.UTF-8")
    assert "usage: etcdtui" in proc.stdout and "penggunaan" not in proc.stdout
    proc = _cli("--help", LANG="id_ID.UTF-8", LANGUAGE="en")
    assert "usage: etcdtui" in proc.stdout


def test_runbooks_render_in_indonesian() -> None:
    from etcdtui.services.plans import render
    from tests.support.plans import replace_plan

    english = replace_plan()
    i18n.set_language("id")
    plan = replace_plan()
    text = render(plan, "markdown")
    for heading in ("## Temuan", "## Peringatan", "## Langkah", "- **Alasan:**", "- **Di mana:**"):
        assert heading in text
    assert "## Steps" not in text and "**Why:**" not in text
    # every step's title and reason is translated; commands stay as they are
    for en, step in zip(english.steps, plan.steps, strict=True):
        assert step.title != en.title and step.why != en.why
        assert step.command == en.command
    assert "etcdctl member remove" in text
