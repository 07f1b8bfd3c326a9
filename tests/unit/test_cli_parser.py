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


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_parses_with_only_its_modules(command: str) -> None:
    assert command in _top_level(build_parser([command]))


def test_flag_values_are_not_taken_for_commands() -> None:
    assert _command_in(["--context", "status", "members"]) == "members"
    assert _command_in(["--context=status", "members", "-o", "json"]) == "members"
    assert _command_in(["--sandbox"]) is None


def test_connection_flags_work_after_the_command() -> None:
    args = build_parser(["members"]).parse_args(["members", "--context", "x", "-o", "json"])
    assert args.context == "x" and args.output == "json"
    args = build_parser(["members"]).parse_args(["--context", "y", "members"])
    assert args.context == "y"
