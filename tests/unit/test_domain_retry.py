"""One bounded backoff (etcdtui/domain/retry.py) and the one loop that sleeps on it
(etcdtui/services/retry.py), used by promote-with-retry and the procedures'
membership changes."""

from __future__ import annotations

import asyncio

import pytest

from etcdtui import errors
from etcdtui.domain.retry import Backoff
from etcdtui.services.retry import retry_async


def test_delays_double_up_to_the_cap() -> None:
    assert Backoff(10, 0.5, 5.0).delays() == (0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0, 5.0)
    assert Backoff(6, 1.0, 4.0).delays() == (1.0, 2.0, 4.0, 4.0, 4.0)
    assert Backoff(1, 1.0, 4.0).delays() == ()


@pytest.mark.parametrize("bad", [(0, 1.0, 2.0), (3, -1.0, 2.0), (3, 2.0, 1.0)])
def test_a_schedule_is_bounded_and_sane(bad: tuple[int, float, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(*bad)


def test_retries_then_succeeds_and_tells_each_wait() -> None:
    answers: list[object] = [errors.UnhealthyCluster("x"), errors.UnhealthyCluster("y"), "done"]
    told: list[tuple[int, float, str]] = []

    async def call() -> str:
        a = answers.pop(0)
        if isinstance(a, BaseException):
            raise a
        return str(a)

    got = asyncio.run(
        retry_async(
            call,
            Backoff(5, 0.0, 0.0),
            (errors.UnhealthyCluster,),
            lambda n, d, e: told.append((n, d, e.cause)),
        )
    )
    assert got == "done"
    assert told == [(1, 0.0, "x"), (2, 0.0, "y")]


def test_gives_up_after_the_last_attempt_with_the_last_error() -> None:
    calls = 0

    async def call() -> None:
        nonlocal calls
        calls += 1
        raise errors.UnhealthyCluster(f"try {calls}")

    with pytest.raises(errors.UnhealthyCluster, match="try 3"):
        asyncio.run(retry_async(call, Backoff(3, 0.0, 0.0), (errors.UnhealthyCluster,)))
    assert calls == 3


def test_other_errors_are_not_retried() -> None:
    calls = 0

    async def call() -> None:
        nonlocal calls
        calls += 1
        raise errors.MemberNotFound("gone")

    with pytest.raises(errors.MemberNotFound):
        asyncio.run(retry_async(call, Backoff(3, 0.0, 0.0), (errors.UnhealthyCluster,)))
    assert calls == 1
