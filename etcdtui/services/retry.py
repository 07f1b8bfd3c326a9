"""Retry an async call on a bounded backoff schedule (``etcdtui.domain.retry``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from etcdtui.domain.retry import Backoff

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)


async def retry_async(
    call: Callable[[], Awaitable[T]],
    schedule: Backoff,
    retry_on: tuple[type[E], ...],
    on_retry: Callable[[int, float, E], None] | None = None,
) -> T:
    """Call until it succeeds or the schedule ends. An error of a ``retry_on`` type is
    retried after the next wait (``on_retry(attempt, wait, error)`` is told first); the
    last try's error, and any other error, is raised."""
    delays = schedule.delays()
    for attempt in range(1, schedule.attempts + 1):
        try:
            return await call()
        except retry_on as exc:
            if attempt == schedule.attempts:
                raise
            wait = delays[attempt - 1]
            if on_retry is not None:
                on_retry(attempt, wait, exc)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")
