"""A private sandbox whose member names attack the terminal (escapes, a bell), for the
CLI's and the console's escaping tests."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import etcdctl, wait_for

TITLE = "\x1b]0;pwned\x07evil"


def hostile_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Sandbox, dict[str, str]]]:
    """A 1-voter sandbox with two learners whose names attack the terminal (the body of
    a module-scoped fixture: ``yield from hostile_sandbox(tmp_path_factory)``)."""
    sb = Sandbox(tmp_path_factory.mktemp("hostile") / "sb")
    try:
        sb.up(1)
        assert sb.state is not None
        first = sb.state.members[0]
        ids: dict[str, str] = {}
        cluster = f"{first.name}={first.peer_url}"
        for name in (TITLE,):
            m = sb.new_member(name)
            out = etcdctl(
                sb, "member", "add", name, "--learner", f"--peer-urls={m.peer_url}", "-w", "json"
            )
            ids[name] = f"{int(json.loads(out.stdout)['member']['ID']):x}"
            sb.join(m, f"{cluster},{name}={m.peer_url}")
        wait_for(lambda: member_names(sb) >= {TITLE}, timeout=60, what="the learner to start")
        yield sb, ids
    finally:
        sb.down()
        shutil.rmtree(sb.dir.parent, ignore_errors=True)  # 64 MB WAL segments per member


def member_names(sb: Sandbox) -> set[str]:
    out = etcdctl(sb, "member", "list", "-w", "json", check=False).stdout
    try:
        return {m.get("name", "") for m in json.loads(out)["members"]}
    except (ValueError, KeyError):
        return set()
