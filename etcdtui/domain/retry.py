"""Bounded backoff schedules. Pure: the waits are numbers; the sleeping happens in
``etcdtui.services.retry``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """``attempts`` tries in all; the wait after a failed try starts at ``first`` seconds
    and doubles (``factor``) up to ``cap``. Bounded: no try after the last one."""

    attempts: int
    first: float
    cap: float
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {self.attempts}")
        if self.first < 0 or self.cap < self.first or self.factor < 1:
            raise ValueError(f"bad backoff: {self}")

    def delays(self) -> tuple[float, ...]:
        """The waits between tries: one fewer than ``attempts``."""
        out: list[float] = []
        delay = self.first
        for _ in range(self.attempts - 1):
            out.append(delay)
            delay = min(delay * self.factor, self.cap)
        return tuple(out)
