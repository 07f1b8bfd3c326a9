"""The soak's history checker finds what it claims to find."""

from __future__ import annotations

from typing import Any

from benchmarks.soak import check_history


def put(v: str, start: float, end: float, ok: bool = True) -> dict[str, Any]:
    return {"op": "put", "key": "k", "value": v, "start": start, "end": end, "ok": ok}


def get(v: str | None, start: float, end: float) -> dict[str, Any]:
    return {"op": "get", "key": "k", "value": v, "start": start, "end": end, "ok": True}


def test_a_linearizable_history_passes() -> None:
    ops = [put("a", 0, 1), get("a", 2, 3), put("b", 2.5, 4), get("a", 3.5, 5), get("b", 6, 7)]
    assert check_history(ops, {"k": "b"}) == {"violations": [], "lost_registers": 0}


def test_stale_read_is_found() -> None:
    ops = [put("a", 0, 1), put("b", 2, 3), get("a", 4, 5)]
    assert any("stale read" in v for v in check_history(ops, {"k": "b"})["violations"])


def test_lost_acknowledged_write_is_found() -> None:
    ops = [put("a", 0, 1), put("b", 2, 3)]
    result = check_history(ops, {"k": "a"})
    assert result["lost_registers"] == 1


def test_unknown_outcome_write_may_or_may_not_show() -> None:
    ops = [put("a", 0, 1), put("b", 2, 3, ok=False)]
    assert check_history(ops, {"k": "a"})["violations"] == []
    assert check_history(ops, {"k": "b"})["violations"] == []


def test_future_never_written_and_non_monotonic_reads_are_found() -> None:
    assert any(
        "before its write" in v
        for v in check_history([get("a", 0, 1), put("a", 2, 3)], {})["violations"]
    )
    assert any("never written" in v for v in check_history([get("z", 0, 1)], {})["violations"])
    ops = [put("a", 0, 1), put("b", 2, 6), get("b", 3, 4), get("a", 5, 5.5)]
    assert any("non-monotonic" in v for v in check_history(ops, {"k": "b"})["violations"])


def test_timed_out_write_that_commits_later_is_not_a_violation() -> None:
    # "b" timed out for its client at t=2, but was held up and committed after "c"
    ops = [
        put("a", 0, 1),
        put("b", 1.5, 2, ok=False),
        put("c", 3, 4),
        get("b", 5, 6),
        get("b", 7, 8),
    ]
    assert check_history(ops, {"k": "b"})["violations"] == []
    # but an acknowledged write is bounded by its acknowledgement
    ops[1] = put("b", 1.5, 2)
    assert any("stale read" in v for v in check_history(ops, {"k": "b"})["violations"])
