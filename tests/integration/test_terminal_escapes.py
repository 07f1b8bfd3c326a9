"""Member names that carry terminal escapes or newlines reach the operator's terminal
escaped in the CLI; JSON stays exact (issue 11, item 3). The console's side is in
tests/console_etcd/test_console_hostile_names.py.

A learner really started with such a ``--name`` joins a private sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from etcdtui.cli import invocation
from etcdtui.errors import EtcdtuiError
from etcdtui.services.sandbox import Sandbox
from etcdtui.terminal_text import EscapingStream, printable
from tests.support.helpers import conn_flags
from tests.support.hostile import TITLE, hostile_sandbox

FORGED = "m9\nm8  started  voter  fake-row"


def test_printable_escapes_controls_and_invisible_format_characters() -> None:
    assert printable(TITLE) == "\\e]0;pwned\\x07evil"
    assert printable("a\nb\tc\r") == "a\\nb\\tc\\r"
    assert printable("\x9b31m") == "\\x9b31m"  # C1 CSI
    assert printable("abc\u202edef") == "abc\\u202edef"  # right-to-left override
    assert printable("zürich-Ω member") == "zürich-Ω member"
    assert printable(TITLE, keep="\n") == printable(TITLE)


def test_every_format_and_control_character_is_escaped() -> None:
    import unicodedata

    unsafe = [
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp")
    ]
    missed = [f"U+{ord(ch):04X}" for ch in unsafe if printable(ch) == ch]
    assert missed == []
    assert printable("\U000e0041") == "\\U000e0041"  # a tag character


def test_the_stream_net_keeps_layout_and_escapes_the_rest() -> None:
    import io

    buf = io.StringIO()
    EscapingStream(buf).write("row 1\n\tx\rprogress " + TITLE)
    assert buf.getvalue() == "row 1\n\tx\rprogress \\e]0;pwned\\x07evil"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, dict[str, str]]]:
    """A 1-voter sandbox with two learners whose names attack the terminal."""
    yield from hostile_sandbox(tmp_path_factory)


def _cli(sb: Sandbox, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *argv, *conn_flags(sb.settings())],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.etcd
@pytest.mark.parametrize("command", [["members"], ["status"], ["health"]])
def test_cli_output_never_carries_a_raw_escape(
    hostile: tuple[Sandbox, dict[str, str]], command: list[str]
) -> None:
    sb, _ids = hostile
    done = _cli(sb, *command)
    text = done.stdout + done.stderr
    assert "\x1b" not in text and "\x07" not in text
    if command == ["members"]:
        assert "\\e]0;pwned\\x07evil" in done.stdout


@pytest.mark.etcd
def test_json_output_keeps_the_exact_name(hostile: tuple[Sandbox, dict[str, str]]) -> None:
    sb, _ids = hostile
    done = _cli(sb, "members", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout  # JSON writes it as \u001b
    data = json.loads(done.stdout)
    members = data["members"] if isinstance(data, dict) else data
    assert TITLE in {m["name"] for m in members}


@pytest.mark.etcd
def test_the_remove_confirmation_shows_the_name_escaped_and_takes_the_hex_id(
    hostile: tuple[Sandbox, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _sb, ids = hostile
    asked: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    answers = iter(["nope", ids[TITLE]])

    def fake_input(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", fake_input)
    with pytest.raises(EtcdtuiError, match="nothing was changed"):
        invocation.confirm_typed(
            TITLE, f"Remove member {TITLE}?", assume_yes=False, also=ids[TITLE]
        )
    invocation.confirm_typed(TITLE, f"Remove member {TITLE}?", assume_yes=False, also=ids[TITLE])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x1b" not in "".join(asked)
    assert ids[TITLE] in asked[0]


def test_a_newline_in_a_name_cannot_forge_a_table_row() -> None:
    from etcdtui.cli.output import format_table

    table = format_table(["name", "state"], [[FORGED, "started"], ["m1", "started"]])
    assert len(table.splitlines()) == 3  # header + 2 rows, no forged third row
    assert "m9\\nm8" in table


def test_errors_from_etcd_are_escaped_when_rendered() -> None:
    err = EtcdtuiError(f"member {TITLE} not found", endpoint="https://127.0.0.1:1\x1b[2J")
    text = err.render()
    assert "\x1b" not in text and "\\e]0;pwned" in text and "\\e[2J" in text
