"""`down` stops every process of the sandbox, including members another Sandbox object
started after this one loaded its state (wizards run through their own adapter)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import process_state

pytestmark = pytest.mark.etcd


def test_down_stops_members_started_by_another_sandbox_object(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(1)
    other = Sandbox(sandbox.dir)  # e.g. the wizard's host adapter
    other.stop_member("m1")
    other.start("m1")
    new_pid = other.state.member("m1").pid
    assert new_pid is not None and process_state(new_pid) not in (None, "Z")
    stopped = sandbox.down()  # the fixture's object still remembers the old pid
    assert stopped == ["m1"]
    assert process_state(new_pid) in (None, "Z")
