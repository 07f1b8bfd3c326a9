"""A verdict's fix in the console's words: the CLI's fix may say --force, the console's
names what the console offers (":scale 3"), never a flag it has no way to pass."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from etcdtui.cluster_data import Member, MemberList
from etcdtui.domain.scaling import advice_for_target
from etcdtui.domain.whatif import UpdatePeerURLs, what_if
from etcdtui.errors import QuorumRefusal

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def _members() -> MemberList:
    ms = tuple(
        Member(i, f"m{i}", (f"https://10.0.0.{i}:2380",), (f"https://10.0.0.{i}:2379",))
        for i in (1, 2, 3)
    )
    return MemberList(cluster_id=7, members=ms)


def test_an_even_size_is_refused_with_a_console_fix_that_names_scale() -> None:
    advice = advice_for_target(3, 4)
    assert not advice.allowed
    assert advice.fix is not None and "--force" in advice.fix  # the CLI's words
    assert advice.console_fix is not None
    assert ":scale 3" in advice.console_fix and ":scale 5" in advice.console_fix
    assert not FLAG.search(advice.console_fix)


def test_a_plaintext_downgrade_is_refused_with_a_console_fix_without_flags() -> None:
    w = what_if(_members(), {1, 2, 3}, UpdatePeerURLs(2, ("http://10.0.0.2:2380",)))
    assert not w.allowed and w.fix is not None and "--force" in w.fix
    assert w.console_fix is not None and not FLAG.search(w.console_fix)
    try:
        w.raise_if_refused()
    except QuorumRefusal as exc:
        assert exc.console_fix == w.console_fix  # what the error modal shows
    else:
        raise AssertionError("the downgrade was not refused")


def test_every_refusal_whose_fix_names_a_flag_has_console_words() -> None:
    """Source scan of the pure rules: a ``refuse(reason, fix)`` whose fix names a CLI flag
    must also pass the console's fix (the third argument)."""
    root = Path(__file__).resolve().parents[2] / "etcdtui" / "domain"
    missing = []
    for path in sorted(root.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "refuse"):
                continue
            if len(node.args) < 2:
                continue
            fix_src = ast.get_source_segment(path.read_text(), node.args[1]) or ""
            has_console = len(node.args) >= 3 or any(k.arg == "console_fix" for k in node.keywords)
            if FLAG.search(fix_src) and not has_console:
                missing.append(f"{path.name}:{node.lineno}")
    assert missing == []
