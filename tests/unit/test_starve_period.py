"""The starvation drill's default duty cycle: every pause must be sure to cost an
election. Raft draws each follower's election timeout between one and two
--election-timeout (in heartbeat ticks), once per term, so a pause of 1.5 timeouts (the
old default) could leave a starved leader in place for a whole test."""

from __future__ import annotations

import pytest

from etcdtui.services.sandbox_faults import STARVE_PAUSE_ELECTIONS, default_starve_period

HEARTBEAT_S = 0.1  # etcd's default tick: the follower's timer counts in these


@pytest.mark.parametrize("election_ms", [500, 1000, 2500, 5000])
@pytest.mark.parametrize("duty", [0.5, 0.7, 0.9])
def test_each_pause_outlasts_the_longest_election_timeout_a_follower_can_draw(
    election_ms: int, duty: float
) -> None:
    period = default_starve_period(election_ms, duty)
    pause = period * duty
    longest_draw = 2 * election_ms / 1000  # raft: [timeout, 2 x timeout)
    # two ticks of slack: the last heartbeat before the pause, and the tick boundary
    assert pause >= longest_draw + 2 * HEARTBEAT_S
    assert period <= 60


def test_the_default_keeps_a_short_cluster_above_a_second() -> None:
    assert default_starve_period(100, 0.9) == 1.0
    assert STARVE_PAUSE_ELECTIONS > 2
