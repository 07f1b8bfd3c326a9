"""Quorum arithmetic and membership what-ifs, checked against hand-worked tables.

Every table row was worked out from etcd 3.5's rules (server.go mayAddMember /
mayRemoveMember / mayPromoteMember, membership/cluster.go IsReadyTo*) by hand, not
produced by the code under test. Conventions: voters are m1..mN (IDs 1..N); ``down``
voters are the highest-numbered ones; the learner, when present, has ID 100.
Summaries are written "voters/healthy/needed/tolerance".
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etcdtui.cluster_data import Member, MemberList, QuorumSummary
from etcdtui.domain import quorum as q
from etcdtui.domain.quorum import failures_tolerated, quorum_size, summarize
from etcdtui.domain.scaling import advice_for_target
from etcdtui.domain.whatif import (
    AddLearner,
    AddVoter,
    Change,
    Promote,
    Remove,
    WhatIf,
    what_if,
)
from etcdtui.errors import QuorumRefusal, TooManyLearners, UnhealthyCluster

U = q.ERR_UNHEALTHY
NES = q.ERR_NOT_ENOUGH_STARTED
TML = q.ERR_TOO_MANY_LEARNERS
LNR = q.ERR_LEARNER_NOT_READY
LID = 100
NEW_URL = "https://10.0.9.9:2380"

# Warning tags and the text that identifies each.
TAGS = {
    "learner-first": "Prefer adding it as a learner",
    "tol0": "no further failure would be tolerated",
    "even": "even count can split votes",
    "healthy-instead": "removing a healthy member instead",
    "leader": "is the leader",
    "in-sync": "caught up with the leader",
    "learner-down": "does not answer health checks",
}


def voter(i: int, started: bool = True) -> Member:
    return Member(
        id=i,
        name=f"m{i}" if started else "",
        peer_urls=(f"https://10.0.0.{i}:2380",),
        client_urls=(f"https://10.0.0.{i}:2379",) if started else (),
    )


def learner_member(started: bool = True) -> Member:
    return Member(
        id=LID,
        name="l1" if started else "",
        peer_urls=("https://10.0.1.100:2380",),
        client_urls=("https://10.0.1.100:2379",) if started else (),
        is_learner=True,
    )


def make(
    voters: int, down: int = 0, learner: str | None = None, unstarted: int = 0
) -> tuple[MemberList, set[int]]:
    """``learner``: None, "started" (healthy), "down" (started, not answering) or "unstarted"."""
    assert down >= unstarted, "a member that never started cannot answer"
    members = [voter(i, started=i <= voters - unstarted) for i in range(1, voters + 1)]
    healthy = set(range(1, voters - down + 1))
    if learner is not None:
        members.append(learner_member(started=learner != "unstarted"))
        if learner == "started":
            healthy.add(LID)
    return MemberList(cluster_id=0xC1, members=tuple(members)), healthy


def nums(s: QuorumSummary) -> str:
    return f"{s.voters}/{s.healthy}/{s.needed}/{s.tolerance}"


def tags(w: WhatIf) -> set[str]:
    return {tag for tag, text in TAGS.items() if any(text in x for x in w.warnings)}


def check(
    w: WhatIf,
    allowed: bool,
    error: str | None,
    before: str,
    after: str,
    warn: set[str] | None = None,
    *,
    server_refuses: bool | None = None,
) -> None:
    assert (nums(w.before), nums(w.after)) == (before, after)
    assert w.allowed is allowed, w.reasons
    assert w.server_error == error
    if server_refuses is not None:
        assert w.server_would_refuse is server_refuses
    if error is not None:
        assert w.server_would_refuse
    if not allowed:
        assert w.reasons and all(isinstance(r, str) and r for r in w.reasons)
    else:
        assert w.reasons == ()
    if warn is not None:
        assert tags(w) == warn, w.warnings


# --- arithmetic --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("voters", "quorum", "tolerated"),
    [(0, 0, 0), (1, 1, 0), (2, 2, 0), (3, 2, 1), (4, 3, 1), (5, 3, 2), (6, 4, 2), (7, 4, 3)],
)
def test_quorum_table(voters: int, quorum: int, tolerated: int) -> None:
    assert quorum_size(voters) == quorum
    assert failures_tolerated(voters) == tolerated


def test_negative_voter_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        quorum_size(-1)
    with pytest.raises(ValueError, match="negative"):
        failures_tolerated(-1)


@pytest.mark.parametrize("voters", range(1, 8))
def test_summary_state_and_badge_agree_for_every_health_count(voters: int) -> None:
    for down in range(voters + 1):
        members, healthy = make(voters, down)
        s = summarize(members, healthy)
        need = quorum_size(voters)
        assert (s.voters, s.healthy, s.needed) == (voters, voters - down, need)
        assert s.tolerance == max(0, voters - down - need)
        if voters - down < need:
            assert (s.state, q.badge(s)) == ("lost", "LOST")
        elif voters - down == need:
            assert (s.state, q.badge(s)) == ("at-risk", "AT RISK (tolerance 0)")
            assert s.tolerance == 0
        else:
            assert (s.state, q.badge(s)) == ("healthy", f"HEALTHY {voters - down}/{voters}")
        if down == 0:
            assert s.tolerance == failures_tolerated(voters)


def test_summary_ignores_learners_and_accepts_a_plain_sequence() -> None:
    members, healthy = make(3, down=1, learner="started")
    s = summarize(members.members, healthy)
    assert nums(s) == "3/2/2/0"
    assert s.learners == 1
    assert summarize(members, healthy) == s
    assert q.describe(s) == "3 voters, 2 healthy: quorum needs 2"


def test_summary_of_an_empty_member_list_is_lost() -> None:
    s = summarize([], set())
    assert nums(s) == "0/0/0/0"
    assert s.state == "lost"


def test_advisories() -> None:
    members, healthy = make(4, down=1, unstarted=1)
    adv = q.advisories(members, healthy)
    assert adv[0] == (
        "4 voters, 3 healthy: quorum needs 3. One more failure loses quorum: replace failed "
        "members now."
    )
    assert "4: added but never started. Start it or remove it." in adv  # unnamed: hex ID
    assert any("even count" in a for a in adv)
    members, healthy = make(3, down=2)
    assert "Quorum is lost" in q.advisories(members, healthy)[0]
    members, healthy = make(3)
    assert q.advisories(members, healthy) == ()


# --- add a voter ---------------------------------------------------------------------------

ADD_VOTER = [
    # voters, down, allowed, server error, before, after, warnings
    (1, 0, False, None, "1/1/1/0", "2/1/2/0", {"learner-first"}),
    (1, 1, False, U, "1/0/1/0", "2/0/2/0", {"learner-first"}),
    (2, 0, True, None, "2/2/2/0", "3/2/2/0", {"learner-first", "tol0"}),
    (2, 1, False, U, "2/1/2/0", "3/1/2/0", {"learner-first"}),
    (2, 2, False, U, "2/0/2/0", "3/0/2/0", {"learner-first"}),
    (3, 0, True, None, "3/3/2/1", "4/3/3/0", {"learner-first", "tol0", "even"}),
    (3, 1, False, U, "3/2/2/0", "4/2/3/0", {"learner-first"}),
    (3, 2, False, U, "3/1/2/0", "4/1/3/0", {"learner-first"}),
    (3, 3, False, U, "3/0/2/0", "4/0/3/0", {"learner-first"}),
    (4, 0, True, None, "4/4/3/1", "5/4/3/1", {"learner-first"}),
    (4, 1, False, U, "4/3/3/0", "5/3/3/0", {"learner-first"}),
    (4, 2, False, U, "4/2/3/0", "5/2/3/0", {"learner-first"}),
    (4, 3, False, U, "4/1/3/0", "5/1/3/0", {"learner-first"}),
    (4, 4, False, U, "4/0/3/0", "5/0/3/0", {"learner-first"}),
    (5, 0, True, None, "5/5/3/2", "6/5/4/1", {"learner-first", "even"}),
    (5, 1, False, U, "5/4/3/1", "6/4/4/0", {"learner-first"}),
    (5, 2, False, U, "5/3/3/0", "6/3/4/0", {"learner-first"}),
    (5, 3, False, U, "5/2/3/0", "6/2/4/0", {"learner-first"}),
    (5, 4, False, U, "5/1/3/0", "6/1/4/0", {"learner-first"}),
    (5, 5, False, U, "5/0/3/0", "6/0/4/0", {"learner-first"}),
]


@pytest.mark.parametrize("learner", [None, "started", "unstarted"])
@pytest.mark.parametrize(
    ("voters", "down", "allowed", "error", "before", "after", "warn"), ADD_VOTER
)
def test_add_voter(
    learner: str | None,
    voters: int,
    down: int,
    allowed: bool,
    error: str | None,
    before: str,
    after: str,
    warn: set[str],
) -> None:
    members, healthy = make(voters, down, learner)
    w = what_if(members, healthy, AddVoter((NEW_URL,)))
    check(w, allowed, error, before, after, warn)
    assert w.after.learners == w.before.learners == (0 if learner is None else 1)


def test_add_voter_to_a_single_member_is_etcdtui_policy_not_a_server_rule() -> None:
    # etcd lets 1 started member accept a second voter; until that voter starts, 2 are needed.
    members, healthy = make(1)
    w = what_if(members, healthy, AddVoter((NEW_URL,)))
    assert not w.allowed and not w.server_would_refuse and w.overridable
    assert w.reasons == (
        "1 voter, 1 healthy: quorum needs 1. After the add: 2 voters needing 2 healthy, but "
        "only 1 would answer until the new member has started: quorum would be lost.",
    )
    assert w.fix == "Add the member as a learner, start it, then promote it."


def test_add_with_a_failed_voter_says_remove_it_first() -> None:
    members, healthy = make(3, down=1)
    w = what_if(members, healthy, AddLearner((NEW_URL,)))
    assert w.reasons[0].startswith("m3 does not answer.")
    assert "all 3 voters in the last 5 s" in w.reasons[0]
    assert w.fix == "Remove the failed member first, then add its replacement."
    members, healthy = make(5, down=2)
    w = what_if(members, healthy, AddLearner((NEW_URL,)))
    assert w.reasons[0].startswith("m4, m5 do not answer.")


UNSTARTED_ADD_VOTER = [
    # voters, never-started voters, server error
    (2, 1, NES),  # 1 started, 3 voters after: needs 2 started
    (3, 1, NES),  # 2 started, 4 after: needs 3
    (3, 2, NES),
    (4, 1, U),  # 3 started >= 3 of 5; the unstarted one is not connected
    (5, 1, U),  # 4 started >= 4 of 6
    (5, 2, NES),  # 3 started < 4 of 6
]


@pytest.mark.parametrize(("voters", "unstarted", "error"), UNSTARTED_ADD_VOTER)
def test_add_voter_with_never_started_voters(voters: int, unstarted: int, error: str) -> None:
    members, healthy = make(voters, down=unstarted, unstarted=unstarted)
    w = what_if(members, healthy, AddVoter((NEW_URL,)))
    assert not w.allowed and w.server_error == error
    # A learner add skips the started-count rule but still needs every voter connected.
    assert what_if(members, healthy, AddLearner((NEW_URL,))).server_error == U


# --- add a learner -------------------------------------------------------------------------

ADD_LEARNER = [
    # voters, down, allowed, server error (no learner yet); before == after apart from learners
    (1, 0, True, None),
    (1, 1, False, U),
    (2, 0, True, None),
    (2, 1, False, U),
    (2, 2, False, U),
    (3, 0, True, None),
    (3, 1, False, U),
    (3, 2, False, U),
    (3, 3, False, U),
    (4, 0, True, None),
    (4, 1, False, U),
    (4, 2, False, U),
    (4, 4, False, U),
    (5, 0, True, None),
    (5, 1, False, U),
    (5, 2, False, U),
    (5, 3, False, U),
    (5, 5, False, U),
]


@pytest.mark.parametrize(("voters", "down", "allowed", "error"), ADD_LEARNER)
def test_add_learner(voters: int, down: int, allowed: bool, error: str | None) -> None:
    members, healthy = make(voters, down)
    w = what_if(members, healthy, AddLearner((NEW_URL,)))
    assert (w.allowed, w.server_error) == (allowed, error)
    assert w.after == QuorumSummary(**{**w.before.__dict__, "learners": 1})
    assert w.warnings == ()


@pytest.mark.parametrize("learner", ["started", "unstarted", "down"])
@pytest.mark.parametrize(("voters", "down"), [(1, 0), (3, 0), (3, 1), (5, 0), (5, 2), (5, 3)])
def test_second_learner(learner: str, voters: int, down: int) -> None:
    members, healthy = make(voters, down, learner)
    w = what_if(members, healthy, AddLearner((NEW_URL,)))
    assert not w.allowed
    # The connectivity check runs before the add is proposed; the learner cap at commit.
    assert w.server_error == (TML if down == 0 else U)
    if down == 0:
        name = "64" if learner == "unstarted" else "l1"  # no name yet: hex of 100
        assert f"already has 1 learner ({name}); etcd allows 1" in w.reasons[0]
        assert w.fix == "Promote or remove the existing learner first."
    ok = what_if(members, healthy, AddLearner((NEW_URL,)), max_learners=2)
    assert ok.allowed is (down == 0)


# --- remove --------------------------------------------------------------------------------

REMOVE_DOWN = [
    # voters, down, allowed, server error, server refuses, before, after, warnings (target: m<N>)
    (1, 1, False, NES, True, "1/0/1/0", "0/0/0/0", set()),
    (2, 1, False, None, True, "2/1/2/0", "1/1/1/0", set()),
    (2, 2, False, None, True, "2/0/2/0", "1/0/1/0", set()),
    (3, 1, True, None, False, "3/2/2/0", "2/2/2/0", {"tol0", "even"}),
    (3, 2, False, None, True, "3/1/2/0", "2/1/2/0", set()),
    (3, 3, False, None, True, "3/0/2/0", "2/0/2/0", set()),
    (4, 1, True, None, False, "4/3/3/0", "3/3/2/1", set()),
    (4, 2, False, None, True, "4/2/3/0", "3/2/2/0", set()),
    (4, 3, False, None, True, "4/1/3/0", "3/1/2/0", set()),
    (4, 4, False, None, True, "4/0/3/0", "3/0/2/0", set()),
    (5, 1, True, None, False, "5/4/3/1", "4/4/3/1", {"even"}),
    (5, 2, True, None, False, "5/3/3/0", "4/3/3/0", {"tol0", "even"}),
    (5, 3, False, None, True, "5/2/3/0", "4/2/3/0", set()),
    (5, 4, False, None, True, "5/1/3/0", "4/1/3/0", set()),
    (5, 5, False, None, True, "5/0/3/0", "4/0/3/0", set()),
]


@pytest.mark.parametrize("learner", [None, "started", "unstarted"])
@pytest.mark.parametrize(
    ("voters", "down", "allowed", "error", "refuses", "before", "after", "warn"), REMOVE_DOWN
)
def test_remove_a_down_voter(
    learner: str | None,
    voters: int,
    down: int,
    allowed: bool,
    error: str | None,
    refuses: bool,
    before: str,
    after: str,
    warn: set[str],
) -> None:
    members, healthy = make(voters, down, learner)
    w = what_if(members, healthy, Remove(voters))
    check(w, allowed, error, before, after, warn, server_refuses=refuses)
    if refuses and error is None:  # quorum already lost: etcd cannot commit, it times out
        assert "Quorum is lost" in w.reasons[0]
        assert not w.overridable


REMOVE_HEALTHY = [
    # voters, down, allowed, server error, before, after, warnings (target: m1)
    (1, 0, False, NES, "1/1/1/0", "0/0/0/0", set()),
    (2, 0, True, None, "2/2/2/0", "1/1/1/0", {"tol0"}),
    (2, 1, False, U, "2/1/2/0", "1/0/1/0", {"healthy-instead"}),
    (3, 0, True, None, "3/3/2/1", "2/2/2/0", {"tol0", "even"}),
    (3, 1, False, U, "3/2/2/0", "2/1/2/0", {"healthy-instead"}),
    (3, 2, False, U, "3/1/2/0", "2/0/2/0", {"healthy-instead"}),
    (4, 0, True, None, "4/4/3/1", "3/3/2/1", set()),
    (4, 1, True, None, "4/3/3/0", "3/2/2/0", {"tol0", "healthy-instead"}),
    (4, 2, False, U, "4/2/3/0", "3/1/2/0", {"healthy-instead"}),
    (4, 3, False, U, "4/1/3/0", "3/0/2/0", {"healthy-instead"}),
    (5, 0, True, None, "5/5/3/2", "4/4/3/1", {"even"}),
    (5, 1, True, None, "5/4/3/1", "4/3/3/0", {"tol0", "even", "healthy-instead"}),
    (5, 2, False, U, "5/3/3/0", "4/2/3/0", {"healthy-instead"}),
    (5, 3, False, U, "5/2/3/0", "4/1/3/0", {"healthy-instead"}),
    (5, 4, False, U, "5/1/3/0", "4/0/3/0", {"healthy-instead"}),
]


@pytest.mark.parametrize("learner", [None, "started", "unstarted"])
@pytest.mark.parametrize(
    ("voters", "down", "allowed", "error", "before", "after", "warn"), REMOVE_HEALTHY
)
def test_remove_a_healthy_voter(
    learner: str | None,
    voters: int,
    down: int,
    allowed: bool,
    error: str | None,
    before: str,
    after: str,
    warn: set[str],
) -> None:
    members, healthy = make(voters, down, learner)
    w = what_if(members, healthy, Remove(1))
    check(w, allowed, error, before, after, warn, server_refuses=not allowed)


def test_remove_message_has_the_numbers() -> None:
    members, healthy = make(3, down=1)
    w = what_if(members, healthy, Remove(1))
    assert w.reasons == (
        "3 voters, 2 healthy: quorum needs 2. Removing m1 leaves 2 voters needing 2 healthy, "
        "but only 1 would answer.",
    )
    assert "remove a failed member instead" in (w.fix or "")


def test_remove_the_leader_warns_to_move_leadership() -> None:
    members, healthy = make(3)
    w = what_if(members, healthy, Remove(2), leader_id=2)
    assert w.allowed and "leader" in tags(w)
    assert "leader" not in tags(what_if(members, healthy, Remove(2), leader_id=1))


@pytest.mark.parametrize(
    ("voters", "down", "learner", "allowed"),
    [
        (1, 0, "started", True),
        (1, 1, "unstarted", False),
        (2, 1, "started", False),
        (3, 0, "started", True),
        (3, 0, "unstarted", True),
        (3, 1, "down", True),
        (3, 2, "started", False),
        (5, 2, "unstarted", True),
        (5, 3, "started", False),
    ],
)
def test_remove_a_learner_is_never_refused_by_the_server(
    voters: int, down: int, learner: str, allowed: bool
) -> None:
    members, healthy = make(voters, down, learner)
    w = what_if(members, healthy, Remove(LID))
    assert w.allowed is allowed
    assert w.server_error is None
    assert w.server_would_refuse is not allowed  # only because quorum is already lost
    assert (w.after.voters, w.after.healthy, w.after.learners) == (
        w.before.voters,
        w.before.healthy,
        0,
    )


REMOVE_WITH_UNSTARTED = [
    # voters, never-started, target, allowed, server error, after
    (3, 1, 3, True, None, "2/2/2/0"),  # drop the never-started one: fine
    (3, 1, 1, False, NES, "2/1/2/0"),  # drop a started one: 1 started left, 2 needed
    (3, 2, 3, False, NES, "2/1/2/0"),
    (2, 1, 2, False, None, "1/1/1/0"),  # 2 voters, 1 healthy: no quorum, times out
    (5, 2, 5, True, None, "4/3/3/0"),
]


@pytest.mark.parametrize(
    ("voters", "unstarted", "target", "allowed", "error", "after"), REMOVE_WITH_UNSTARTED
)
def test_remove_with_never_started_voters(
    voters: int, unstarted: int, target: int, allowed: bool, error: str | None, after: str
) -> None:
    members, healthy = make(voters, down=unstarted, unstarted=unstarted)
    w = what_if(members, healthy, Remove(target))
    assert (w.allowed, w.server_error, nums(w.after)) == (allowed, error, after)


# --- promote -------------------------------------------------------------------------------

PROMOTE = [
    # voters, down, allowed, before, after, warnings (learner started and answering)
    (1, 0, True, "1/1/1/0", "2/2/2/0", {"tol0", "even", "in-sync"}),
    (1, 1, False, "1/0/1/0", "2/1/2/0", {"in-sync"}),
    (2, 0, True, "2/2/2/0", "3/3/2/1", {"in-sync"}),
    (2, 1, False, "2/1/2/0", "3/2/2/0", {"in-sync"}),
    (2, 2, False, "2/0/2/0", "3/1/2/0", {"in-sync"}),
    (3, 0, True, "3/3/2/1", "4/4/3/1", {"even", "in-sync"}),
    (3, 1, True, "3/2/2/0", "4/3/3/0", {"tol0", "even", "in-sync"}),
    (3, 2, False, "3/1/2/0", "4/2/3/0", {"in-sync"}),
    (3, 3, False, "3/0/2/0", "4/1/3/0", {"in-sync"}),
    (4, 0, True, "4/4/3/1", "5/5/3/2", {"in-sync"}),
    (4, 1, True, "4/3/3/0", "5/4/3/1", {"in-sync"}),
    (4, 2, False, "4/2/3/0", "5/3/3/0", {"in-sync"}),
    (4, 4, False, "4/0/3/0", "5/1/3/0", {"in-sync"}),
    (5, 0, True, "5/5/3/2", "6/6/4/2", {"even", "in-sync"}),
    (5, 1, True, "5/4/3/1", "6/5/4/1", {"even", "in-sync"}),
    (5, 2, True, "5/3/3/0", "6/4/4/0", {"tol0", "even", "in-sync"}),
    (5, 3, False, "5/2/3/0", "6/3/4/0", {"in-sync"}),
    (5, 5, False, "5/0/3/0", "6/1/4/0", {"in-sync"}),
]


@pytest.mark.parametrize(("voters", "down", "allowed", "before", "after", "warn"), PROMOTE)
def test_promote_a_started_learner(
    voters: int, down: int, allowed: bool, before: str, after: str, warn: set[str]
) -> None:
    members, healthy = make(voters, down, "started")
    w = what_if(members, healthy, Promote(LID))
    # Refusals here only come from quorum already being lost: the request would time out.
    check(w, allowed, None, before, after, warn, server_refuses=not allowed)
    assert w.after.learners == 0


@pytest.mark.parametrize(
    ("voters", "down", "error"),
    [(1, 0, LNR), (2, 0, LNR), (3, 0, LNR), (3, 1, LNR), (3, 2, None), (4, 1, LNR),
     (4, 2, None), (5, 2, LNR), (5, 3, None)],
)  # fmt: skip
def test_promote_a_never_started_learner(voters: int, down: int, error: str | None) -> None:
    members, healthy = make(voters, down, "unstarted")
    w = what_if(members, healthy, Promote(LID))
    assert not w.allowed and w.server_would_refuse and not w.overridable
    assert w.server_error == error  # without a leader nobody can judge it: timeout
    assert any("has never started" in r for r in w.reasons)
    assert (w.after.voters, w.after.healthy) == (voters + 1, voters - down)


@pytest.mark.parametrize(
    ("voters", "down", "allowed", "after", "warn"),
    [
        (2, 0, True, "3/2/2/0", {"tol0", "in-sync", "learner-down"}),
        (3, 0, True, "4/3/3/0", {"tol0", "even", "in-sync", "learner-down"}),
        (3, 1, False, "4/2/3/0", {"in-sync", "learner-down"}),
        (4, 0, True, "5/4/3/1", {"in-sync", "learner-down"}),
        (5, 1, True, "6/4/4/0", {"tol0", "even", "in-sync", "learner-down"}),
        (5, 2, False, "6/3/4/0", {"in-sync", "learner-down"}),
    ],
)
def test_promote_a_learner_that_does_not_answer(
    voters: int, down: int, allowed: bool, after: str, warn: set[str]
) -> None:
    members, healthy = make(voters, down, "down")
    w = what_if(members, healthy, Promote(LID))
    assert (w.allowed, nums(w.after), tags(w)) == (allowed, after, warn)
    assert w.server_error is None
    if not allowed:  # etcd would accept it; etcdtui refuses because quorum would be lost
        assert w.overridable
        assert "quorum would be lost" in w.reasons[0]


def test_promote_with_never_started_voters_and_no_quorum_times_out() -> None:
    # 3 voters, 1 started: promoting makes 4 needing 3 started, only 2 would be. No leader
    # can judge it, so the exact error is unknown, but the request fails either way.
    members, healthy = make(3, down=2, learner="started", unstarted=2)
    w = what_if(members, healthy, Promote(LID))
    assert not w.allowed and w.server_would_refuse and w.server_error is None
    assert any("only 2 would have started" in r for r in w.reasons)


def test_unknown_ids_and_promoting_a_voter() -> None:
    members, healthy = make(3, learner="started")
    assert what_if(members, healthy, Remove(999)).server_error == q.ERR_MEMBER_NOT_FOUND
    assert what_if(members, healthy, Promote(999)).server_error == q.ERR_MEMBER_NOT_FOUND
    w = what_if(members, healthy, Promote(1))
    assert (w.allowed, w.server_error) == (False, q.ERR_NOT_LEARNER)
    assert w.reasons == ("m1 is already a voting member; only learners can be promoted.",)
    assert "3e7" in what_if(members, healthy, Remove(999)).reasons[0]  # IDs shown in hex


# --- peer URLs, options --------------------------------------------------------------------


@pytest.mark.parametrize(
    "urls",
    [(), ("10.0.0.9:2380",), ("https://10.0.0.9",), ("https://10.0.0.9:2380/x",),
     ("ftp://10.0.0.9:2380",), (NEW_URL, "https://10.0.0.9:notaport")],
)  # fmt: skip
def test_invalid_peer_urls(urls: tuple[str, ...]) -> None:
    members, healthy = make(3)
    for change in (AddVoter(urls), AddLearner(urls)):
        w = what_if(members, healthy, change)
        assert (w.allowed, w.server_error) == (False, q.ERR_BAD_URLS)
        assert w.fix == "Use a URL like https://10.0.0.4:2380."


@pytest.mark.parametrize("url", ["https://10.0.0.9:2380", "http://[::1]:2380", "https://h:1"])
def test_valid_peer_urls(url: str) -> None:
    members, healthy = make(3)
    assert what_if(members, healthy, AddLearner((url,))).allowed


def test_peer_url_already_in_use() -> None:
    members, healthy = make(3, learner="started")
    for url in ("https://10.0.0.2:2380", "https://10.0.1.100:2380"):
        w = what_if(members, healthy, AddVoter((url,)))
        assert w.server_error == q.ERR_PEER_URL_EXISTS
    w = what_if(members, healthy, AddVoter(("https://10.0.0.2:2380",)))
    assert w.reasons == ("https://10.0.0.2:2380 is already the peer URL of m2.",)
    # A failed voter is reported first: etcd checks connectivity before proposing.
    members, healthy = make(3, down=1)
    w = what_if(members, healthy, AddLearner(("https://10.0.0.2:2380",)))
    assert w.server_error == U


def test_without_strict_reconfig_check_only_etcdtui_policy_refuses() -> None:
    members, healthy = make(3, down=1)
    w = what_if(members, healthy, AddLearner((NEW_URL,)), strict_reconfig_check=False)
    assert w.allowed
    w = what_if(members, healthy, AddVoter((NEW_URL,)), strict_reconfig_check=False)
    assert (w.allowed, w.overridable, nums(w.after)) == (False, True, "4/2/3/0")
    w = what_if(members, healthy, Remove(1), strict_reconfig_check=False)
    assert (w.allowed, w.overridable, nums(w.after)) == (False, True, "2/1/2/0")


def test_raise_if_refused_maps_to_error_classes() -> None:
    members, healthy = make(3, down=1)
    with pytest.raises(UnhealthyCluster) as exc:
        what_if(members, healthy, AddLearner((NEW_URL,))).raise_if_refused(force=True)
    assert "m3 does not answer" in exc.value.cause
    assert exc.value.fix == "Remove the failed member first, then add its replacement."
    assert "etcdserver: unhealthy cluster" in exc.value.title

    members, healthy = make(3, learner="started")
    with pytest.raises(TooManyLearners):
        what_if(members, healthy, AddLearner((NEW_URL,))).raise_if_refused()

    members, healthy = make(1)
    w = what_if(members, healthy, AddVoter((NEW_URL,)))
    with pytest.raises(QuorumRefusal) as qexc:
        w.raise_if_refused()
    assert qexc.value.exit_code == 1 and "quorum would be lost" in qexc.value.cause
    w.raise_if_refused(force=True)  # etcdtui policy only: --force may override it

    members, healthy = make(3)
    what_if(members, healthy, AddLearner((NEW_URL,))).raise_if_refused()


def test_as_dict_is_json_ready() -> None:
    members, healthy = make(3, down=1)
    d = what_if(members, healthy, Remove(3)).as_dict()
    again = json.loads(json.dumps(d))
    assert again["change"] == {"kind": "remove", "member_id": "3"}
    assert again["before"] == {"voters": 3, "healthy": 2, "needed": 2, "tolerance": 0}
    assert again["allowed"] is True and again["server_error_code"] is None
    d = what_if(members, healthy, AddLearner((NEW_URL,))).as_dict()
    assert d["server_error_code"] == "unhealthy-cluster"
    assert d["change"] == {"kind": "add-learner", "peer_urls": [NEW_URL], "name": ""}


# --- scaling advice ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target", "kw", "allowed", "path", "tol"),
    [
        (3, 5, {}, True, (3, 4, 5), (1, 2)),
        (5, 3, {}, True, (5, 4, 3), (2, 1)),
        (3, 4, {}, False, (3, 4), (1, 1)),
        (3, 4, {"force": True}, True, (3, 4), (1, 1)),
        (1, 3, {}, True, (1, 2, 3), (0, 1)),
        (3, 3, {}, True, (3,), (1, 1)),
        (3, 0, {}, False, (3,), (1, 0)),
        (3, 0, {"force": True}, False, (3,), (1, 0)),
        (3, 9, {}, True, (3, 4, 5, 6, 7, 8, 9), (1, 4)),
        (3, 5, {"healthy": 2}, False, (3, 4, 5), (1, 2)),
        (3, 5, {"healthy": 1}, False, (3, 4, 5), (1, 2)),
        (5, 3, {"healthy": 4}, True, (5, 4, 3), (2, 1)),
        (3, 6, {"force": True, "healthy": 3}, True, (3, 4, 5, 6), (1, 2)),
    ],
)
def test_advice_for_target(
    current: int,
    target: int,
    kw: dict[str, int | bool],
    allowed: bool,
    path: tuple[int, ...],
    tol: tuple[int, int],
) -> None:
    a = advice_for_target(current, target, **kw)  # type: ignore[arg-type]
    assert (a.allowed, a.path, (a.tolerance_before, a.tolerance_after)) == (allowed, path, tol)
    assert bool(a.reasons) is not allowed
    json.dumps(a.as_dict())


def test_even_target_explains_itself() -> None:
    a = advice_for_target(3, 4)
    assert a.reasons == (
        "4 voters tolerate 1 failure, the same as 3 voters, and an even split can stall "
        "elections. Choose 3 or 5.",
    )
    assert "--force" in (a.fix or "")
    forced = advice_for_target(3, 4, force=True)
    assert forced.warnings[0] == a.reasons[0].removesuffix(" Choose 3 or 5.")
    assert any("4" in w and "passes through" in w for w in advice_for_target(3, 5).warnings)
    assert any("More than 7" in w for w in advice_for_target(3, 9).warnings)
    assert "do not answer" not in " ".join(advice_for_target(3, 5, healthy=3).reasons)
    assert "1 voter does not answer" in advice_for_target(3, 5, healthy=2).reasons[0]


def test_negative_current_count_is_a_usage_error() -> None:
    from etcdtui.errors import UsageError

    with pytest.raises(UsageError):
        advice_for_target(-1, 3)


# --- properties ----------------------------------------------------------------------------


def etcd_oracle(ms: tuple[Member, ...], healthy: set[int], change: Change) -> str | None:
    """A literal transcription of etcd 3.5's checks (strict mode, 1 learner max), written
    the way the Go code is laid out, as a second opinion on the module."""
    voting = [m for m in ms if not m.is_learner]

    def started(m: Member) -> bool:
        return len(m.name) != 0

    if isinstance(change, AddVoter | AddLearner):
        if isinstance(change, AddVoter):
            nmembers, nstarted = 1, 0
            for m in voting:
                nstarted += started(m)
                nmembers += 1
            if not (nstarted == 1 and nmembers == 2) and nstarted < nmembers // 2 + 1:
                return NES
        if sum(1 for m in voting if m.id in healthy) != len(voting):
            return U
        urls = {u for m in ms for u in m.peer_urls}
        if any(u in urls for u in change.peer_urls):
            return q.ERR_PEER_URL_EXISTS
        if isinstance(change, AddLearner) and sum(m.is_learner for m in ms) + 1 > 1:
            return TML
        return None
    target = next((m for m in ms if m.id == change.member_id), None)
    if isinstance(change, Remove):
        if target is not None and target.is_learner:
            return None
        nmembers = nstarted = 0
        for m in voting:
            if m.id == change.member_id:
                continue
            nstarted += started(m)
            nmembers += 1
        if nstarted < nmembers // 2 + 1:
            return NES
        if target is None:
            return q.ERR_MEMBER_NOT_FOUND
        if change.member_id not in healthy:
            return None
        active = sum(1 for m in voting if m.id in healthy)
        if active - 1 < 1 + (len(voting) - 1) // 2:
            return U
        return None
    if target is None:
        return q.ERR_MEMBER_NOT_FOUND
    if not target.is_learner:
        return q.ERR_NOT_LEARNER
    if not started(target):
        return LNR
    nmembers = nstarted = 1
    for m in voting:
        nstarted += started(m)
        nmembers += 1
    if nstarted < nmembers // 2 + 1:
        return NES
    return None


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[tuple[Member, ...], set[int], Change]:
    n_voters = draw(st.integers(0, 7))
    n_learners = draw(st.integers(0, 2))
    ms: list[Member] = []
    healthy: set[int] = set()
    for i in range(1, n_voters + n_learners + 1):
        is_learner = i > n_voters
        started = draw(st.booleans()) if draw(st.booleans()) else True
        m = voter(i, started)
        ms.append(Member(m.id, m.name, m.peer_urls, m.client_urls, is_learner=is_learner))
        if started and draw(st.booleans()):
            healthy.add(i)
    ids = st.sampled_from([m.id for m in ms] + [999])
    url = st.sampled_from([NEW_URL] + [m.peer_urls[0] for m in ms])
    change = draw(
        st.one_of(
            url.map(lambda u: AddVoter((u,))),
            url.map(lambda u: AddLearner((u,))),
            ids.map(Remove),
            ids.map(Promote),
        )
    )
    return tuple(ms), healthy, change


@settings(max_examples=600, deadline=None, database=None)
@given(scenarios())
def test_properties(scenario: tuple[tuple[Member, ...], set[int], Change]) -> None:
    ms, healthy, change = scenario
    w = what_if(ms, healthy, change)
    oracle = etcd_oracle(ms, healthy, change)
    assert w.before == summarize(ms, healthy)
    for s in (w.before, w.after):
        assert s.needed == quorum_size(s.voters)
        assert s.tolerance == max(0, s.healthy - s.needed)
        assert 0 <= s.healthy <= s.voters
    if w.before.has_quorum:
        assert w.server_error == oracle
        assert w.server_would_refuse is (oracle is not None)
    else:
        # Without quorum every change fails: at once for local checks, else by timeout.
        assert w.server_would_refuse and not w.allowed
        assert w.server_error in (oracle, None)
    if w.allowed:
        assert oracle is None and not w.server_would_refuse
        assert w.before.has_quorum and w.after.has_quorum
        assert w.reasons == ()
    else:
        assert w.reasons
    if w.server_error is not None:
        assert w.server_would_refuse and not w.overridable


@settings(max_examples=400, deadline=None, database=None)
@given(scenarios(), st.data())
def test_a_healthier_cluster_never_refuses_what_a_sicker_one_allows(
    scenario: tuple[tuple[Member, ...], set[int], Change], data: st.DataObject
) -> None:
    ms, healthy, change = scenario
    quiet = [m.id for m in ms if m.started and m.id not in healthy]
    if not quiet:
        return
    recovered = healthy | {data.draw(st.sampled_from(quiet))}
    if what_if(ms, healthy, change).allowed:
        assert what_if(ms, recovered, change).allowed


@settings(max_examples=300, deadline=None, database=None)
@given(scenarios())
def test_removing_a_down_voter_is_never_refused_as_unhealthy(
    scenario: tuple[tuple[Member, ...], set[int], Change],
) -> None:
    ms, healthy, _change = scenario
    for m in ms:
        if not m.is_learner and m.id not in healthy:
            assert what_if(ms, healthy, Remove(m.id)).server_error != U
