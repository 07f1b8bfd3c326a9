"""The CLI registers exactly the commands it advertises, and loads lazily."""

from __future__ import annotations

import argparse

import pytest

from etcdtui.cli import COMMANDS, _command_in, build_parser


def _top_level(parser: argparse.ArgumentParser) -> set[str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


def test_command_table_matches_registered_commands() -> None:
    assert _top_level(build_parser()) == set(COMMANDS)


_PROBE = """
import argparse, sys
from etcdtui.cli import COMMAND_MODULES, build_parser
parser = build_parser([sys.argv[1]])
sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
print(" ".join(sorted(sub.choices)))
print(" ".join(m for m in COMMAND_MODULES if m in sys.modules))
"""


# Command modules whose register() pulls others in: cluster_cmds attaches the
# guided procedures (member replace, member scale) from procedure_cmds to its `member` group
# (built only for `member`: status, members... do not load the procedures),
# and `restore` (procedure_cmds) takes snapshot_cmds' decryption flags.
_PLUGS_IN = {
    "etcdtui.cli.cluster_cmds": ("etcdtui.cli.procedure_cmds",),
    "etcdtui.cli.procedure_cmds": ("etcdtui.cli.snapshot_cmds",),
    "etcdtui.cli.upgrade_cmds": ("etcdtui.cli.procedure_cmds",),  # plan rebuild
}
_PLUGS_IN_ONLY_FOR = {"etcdtui.cli.cluster_cmds": "member"}


def _plugs_in(module: str, command: str) -> tuple[str, ...]:
    only = _PLUGS_IN_ONLY_FOR.get(module)
    return _PLUGS_IN.get(module, ()) if only in (None, command) else ()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_parses_with_only_its_modules(command: str) -> None:
    """In a fresh interpreter, building the parser for one command registers that command
    and imports its own command modules and no other."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _PROBE, command],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    registered, imported = (line.split() for line in done.stdout.splitlines())
    assert command in registered
    expected = {m for own in COMMANDS[command] for m in (own, *_plugs_in(own, command))}
    assert set(imported) == expected, done.stdout


def test_flag_values_are_not_taken_for_commands() -> None:
    assert _command_in(["--context", "status", "members"]) == "members"
    assert _command_in(["--context=status", "members", "-o", "json"]) == "members"
    assert _command_in(["--sandbox"]) is None


def test_connection_flags_work_after_the_command() -> None:
    args = build_parser(["members"]).parse_args(["members", "--context", "x", "-o", "json"])
    assert args.context == "x" and args.output == "json"
    args = build_parser(["members"]).parse_args(["--context", "y", "members"])
    assert args.context == "y"


def test_opening_the_console_loads_no_command_module() -> None:
    """`etcdtui [flags]` opens the console: no command module is imported for it."""
    parser = build_parser(["--context", "prod", "--read-only"])
    assert _top_level(parser) == set()
    args = parser.parse_args(["--context", "prod", "--read-only"])
    assert args.context == "prod" and args.read_only and getattr(args, "func", None) is None


@pytest.mark.parametrize(
    "argv", [["--help"], ["-h"], ["staus"], ["--context", "x", "nope"], ["--help", "status"]]
)
def test_help_and_typos_still_see_every_command(argv: list[str]) -> None:
    assert _top_level(build_parser(argv)) == set(COMMANDS)


def test_a_typo_is_rejected_with_the_command_list(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser(["staus"]).parse_args(["staus"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'staus'" in err and "status" in err


def test_help_to_a_full_disk_is_an_error_not_silence() -> None:
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "etcdtui", "--help"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 74
    assert "No space left" in proc.stderr


def _leaves(parser: argparse.ArgumentParser, group: str) -> dict[str, argparse.ArgumentParser]:
    top = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub = top.choices[group]
    nested = next(a for a in sub._actions if isinstance(a, argparse._SubParsersAction))
    return dict(nested.choices)


def _has_flag(parser: argparse.ArgumentParser, flag: str) -> bool:
    return any(flag in a.option_strings for a in parser._actions)


def test_only_the_sub_command_run_gets_the_connection_flags() -> None:
    # `snapshot status FILE` uses no other leaf of `snapshot`: the flags go on its leaf
    argv = ["snapshot", "status", "f", "--context", "x"]
    leaves = _leaves(build_parser(argv), "snapshot")
    assert _has_flag(leaves["status"], "--endpoints")
    # no other leaf gets them: no other leaf is even built (see the test below)
    assert not [leaf for name, leaf in leaves.items() if name != "status"]
    args = build_parser(argv).parse_args(argv)
    assert args.context == "x" and args.file == "f"


@pytest.mark.parametrize("action", ["status", "verify", "inspect", "diff", "ls", "prune"])
def test_a_group_builds_only_the_action_named(action: str) -> None:
    # the parser serves one parse: `snapshot verify FILE` needs no other action's parser
    # (nor the module that adds `snapshot save`)
    argv = ["--lang", "en", "snapshot", action, "f"]
    assert set(_leaves(build_parser(argv), "snapshot")) == {action}


@pytest.mark.parametrize(
    "argv",
    [
        ["snapshot", "--help"],
        ["snapshot", "stauts", "f"],
        ["snapshot", "save", "f"],
        ["snapshot", "-o", "json", "status", "f"],
        ["--help", "snapshot", "status"],
    ],
)
def test_help_typos_and_plugged_in_actions_see_every_action(argv: list[str]) -> None:
    leaves = _leaves(build_parser(argv), "snapshot")
    assert {"status", "verify", "inspect", "diff", "ls", "prune", "save"} <= set(leaves)


def test_an_action_typo_still_lists_every_action(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["snapshot", "verfy", "f"]
    with pytest.raises(SystemExit):
        build_parser(argv).parse_args(argv)
    err = capsys.readouterr().err
    assert "verfy" in err and "'prune'" in err and "'save'" in err


@pytest.mark.parametrize("argv", [["snapshot", "--help"], ["snapshot", "stauts", "f"]])
def test_help_and_typos_of_a_group_give_every_leaf_its_flags(argv: list[str]) -> None:
    leaves = _leaves(build_parser(argv), "snapshot")
    assert all(_has_flag(leaf, "--endpoints") for leaf in leaves.values())
