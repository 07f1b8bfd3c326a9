"""The one rule for "who leads": the newest raft term wins, a cut-off member never does."""

from __future__ import annotations

from etcdtui.cluster_data import ClusterReading, EndpointStatus
from etcdtui.domain.health import elected_leader


def _st(mid: int, leader: int, term: int, ok: bool = True) -> EndpointStatus:
    return EndpointStatus(f"https://h{mid}:2379", ok, member_id=mid, leader=leader, raft_term=term)


def test_everyone_agrees() -> None:
    assert elected_leader([_st(1, 2, 5), _st(2, 2, 5), _st(3, 2, 5)]) == 2


def test_partitioned_old_leader_still_claiming_loses_to_newer_term() -> None:
    # m1 led term 5 and is cut off; m2 and m3 elected m3 in term 6
    statuses = [_st(1, 1, 5), _st(2, 3, 6), _st(3, 3, 6)]
    assert elected_leader(statuses) == 3
    # even when the console reaches only the old leader and one of the new majority
    assert elected_leader([_st(1, 1, 5), _st(3, 3, 6)]) == 3
    assert ClusterReading(None, (_st(1, 1, 5), _st(3, 3, 6))).leader == 3


def test_no_leader_named_or_no_answer() -> None:
    assert elected_leader([_st(1, 0, 7), _st(2, 0, 7)]) is None
    assert elected_leader([_st(1, 1, 5, ok=False)]) is None
    assert elected_leader([]) is None


def test_tie_in_the_same_term_trusts_the_claimant() -> None:
    assert elected_leader([_st(1, 1, 4), _st(2, 3, 4), _st(3, 3, 4), _st(4, 1, 4)]) == 1
    assert elected_leader([_st(2, 1, 4), _st(4, 3, 4)]) is None


def test_snapshot_source_leader_follows_the_newest_term() -> None:
    """Snapshot save takes its source from the leader only when a majority of the members
    it reached name the elected leader. Two members still at an older term naming the old
    leader do not make it the source: the newer term elected another."""
    from etcdtui.services.snapshots.save_source import _agreed_leader

    assert _agreed_leader([_st(1, 1, 4), _st(2, 1, 4), _st(3, 3, 5)]) is None
    assert _agreed_leader([_st(1, 3, 5), _st(2, 3, 5), _st(3, 3, 5)]) == 3
    assert _agreed_leader([_st(1, 3, 5), _st(2, 2, 5)]) is None
