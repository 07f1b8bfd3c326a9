"""The one rule for "which members are healthy" (etcdtui/domain/health.py).

Four copies of this rule used to disagree: a member whose Status answered but whose
health read was never made counted as healthy in the CLI and as down in the procedures;
the console's re-check matched health answers by URL and never asked Status. Each case
below is one of the states etcd can be in; the last tests feed the same answers to every
caller and assert one answer.
"""

from __future__ import annotations

import pytest

from etcdtui.cluster_data import (
    Alarm,
    ClusterReading,
    EndpointHealth,
    EndpointStatus,
    Member,
    MemberList,
)
from etcdtui.domain import health as rule
from etcdtui.domain.quorum import summarize
from etcdtui.services.procedures.building_blocks import ClusterFacts
from etcdtui.ui.state import ClusterState

URLS = [f"https://127.0.0.1:{2379 + 10 * i}" for i in range(4)]


def member(i: int, *, learner: bool = False, urls: tuple[str, ...] | None = None) -> Member:
    return Member(
        i + 1,
        f"m{i + 1}",
        (f"https://127.0.0.1:{2380 + 10 * i}",),
        urls if urls is not None else (URLS[i],),
        is_learner=learner,
    )


def ok_status(i: int, *, leader: int = 1, learner: bool = False, errors: tuple[str, ...] = ()):
    return EndpointStatus(
        URLS[i],
        True,
        member_id=i + 1,
        leader=leader,
        raft_term=2,
        is_learner=learner,
        errors=errors,
    )


def failed_status(i: int, error: str = "connection refused", code: str = "unreachable"):
    return EndpointStatus(URLS[i], False, error, code)


def good(i: int) -> EndpointHealth:
    return EndpointHealth(URLS[i], True)


def bad(i: int, error: str = "context deadline exceeded", code: str = "timeout"):
    return EndpointHealth(URLS[i], False, error, code)


def state(m: Member, statuses=(), health=()) -> str:
    return rule.member_state(m, statuses, health)


# --- one member, one case ---------------------------------------------------------------


def test_status_and_health_answer_healthy() -> None:
    assert state(member(0), [ok_status(0)], [good(0)]) == "healthy"


def test_unreachable_is_down() -> None:
    assert state(member(0), [failed_status(0)], [bad(0, "connection refused", "unreachable")]) == (
        "down"
    )


def test_errored_health_read_is_down_though_status_answers() -> None:
    """A partitioned member still answers Status; only the linearizable read shows that it
    cannot reach a quorum."""
    assert state(member(0), [ok_status(0)], [bad(0)]) == "down"


def test_failed_status_is_down_though_a_read_went_through() -> None:
    assert state(member(0), [failed_status(0)], [good(0)]) == "down"


def test_learner_is_judged_like_any_member_and_not_counted_as_a_voter() -> None:
    members = [member(0), member(1), member(2, learner=True)]
    statuses = [ok_status(0), ok_status(1), ok_status(2, learner=True)]
    health = [good(0), good(1), good(2)]
    ids = rule.healthy_ids(members, statuses, health)
    assert ids == {1, 2, 3}  # the learner answers: a promote may count it
    s = summarize(members, ids)
    assert (s.voters, s.healthy, s.learners) == (2, 2, 1)
    assert state(members[2], statuses, [good(0), good(1), bad(2)]) == "down"


def test_alarm_does_not_make_a_member_down() -> None:
    """An alarm is cluster-wide and shown on its own; the member still votes."""
    members = MemberList(1, (member(0), member(1), member(2)))
    alarm_text = ("memberID:1 alarm:NOSPACE",)
    reading = ClusterReading(
        members,
        (ok_status(0, errors=alarm_text), ok_status(1), ok_status(2)),
        (good(0), good(1), good(2)),
        (Alarm(1, "NOSPACE"),),
    )
    assert reading.healthy_ids() == {1, 2, 3}


def test_alarm_that_fails_the_read_counts_as_the_failed_read() -> None:
    corrupt = bad(0, "etcdserver: corrupt cluster", "corrupt")
    assert state(member(0), [ok_status(0)], [corrupt]) == "down"


@pytest.mark.parametrize(
    ("statuses", "health"),
    [
        ([failed_status(0, "etcdserver: permission denied", "permission-denied")], [good(0)]),
        ([ok_status(0)], [bad(0, "etcdserver: authentication failed", "auth")]),
    ],
)
def test_refused_credentials_are_unknown_not_down(statuses, health) -> None:
    assert state(member(0), statuses, health) == "unknown"
    assert rule.healthy_ids([member(0)], statuses, health) == set()


def test_health_not_checked_is_unknown() -> None:
    assert state(member(0), [ok_status(0)], []) == "unknown"
    assert state(member(0), [], []) == "unknown"


def test_health_alone_decides_when_status_was_not_asked() -> None:
    assert state(member(0), [], [good(0)]) == "healthy"
    assert state(member(0), [], [bad(0)]) == "down"


def test_url_spelling_does_not_hide_a_member() -> None:
    m = member(0, urls=("https://LOCALHOST:2379/",))
    assert state(m, [], [EndpointHealth("localhost:2379", True)]) == "healthy"


def test_one_answering_client_url_is_enough() -> None:
    m = member(0, urls=(URLS[0], URLS[1]))
    assert state(m, [], [bad(0), good(1)]) == "healthy"


def test_status_matched_by_member_id_not_only_by_url() -> None:
    """Connected through an address the member does not advertise: Status names it."""
    m = member(0, urls=("https://etcd-0.example:2379",))
    assert state(m, [ok_status(0)], [good(0)]) == "healthy"


# --- every caller, one answer -------------------------------------------------------------

CASES = {
    "all answer": ([ok_status(i) for i in range(3)], [good(i) for i in range(3)]),
    "one unreachable": (
        [ok_status(0), ok_status(1), failed_status(2)],
        [good(0), good(1), bad(2, "connection refused", "unreachable")],
    ),
    "one errored": ([ok_status(i) for i in range(3)], [good(0), good(1), bad(2)]),
    "status failed, read ok": (
        [ok_status(0), ok_status(1), failed_status(2)],
        [good(i) for i in range(3)],
    ),
    "access denied": (
        [ok_status(0), ok_status(1), failed_status(2, "permission denied", "permission-denied")],
        [good(i) for i in range(3)],
    ),
}
MEMBERS = MemberList(7, (member(0), member(1), member(2)))


def console_ids(statuses, health) -> set[int]:
    st = ClusterState(clock=lambda: 100.0, interval=2.0)
    st.apply_members(MEMBERS, (), None)
    for s, h in zip(statuses, health, strict=True):
        st.apply_endpoint(s.endpoint, s, h)
    return st.healthy_ids()


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_procedures_and_console_agree(case: str) -> None:
    statuses, health = CASES[case]
    want = rule.healthy_ids(MEMBERS.members, statuses, health)
    assert ClusterReading(MEMBERS, tuple(statuses), tuple(health)).healthy_ids() == want
    assert ClusterFacts(MEMBERS, tuple(statuses), tuple(health)).healthy_ids() == want
    assert console_ids(statuses, health) == want


def test_cli_and_procedures_agree_when_health_was_not_checked() -> None:
    statuses = tuple(ok_status(i) for i in range(3))
    assert ClusterReading(MEMBERS, statuses, ()).healthy_ids() == set()
    assert ClusterFacts(MEMBERS, statuses, ()).healthy_ids() == set()


def test_console_recheck_counts_what_the_console_showed() -> None:
    """The member dialog's re-check asks only health; it must count the same members."""
    statuses, health = CASES["one errored"]
    assert rule.healthy_ids(MEMBERS.members, (), health) == console_ids(statuses, health)
