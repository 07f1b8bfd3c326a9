"""The consistency report's majority rule, and the sentinel's no-alarm-read mode."""

from __future__ import annotations

from collections.abc import Sequence

from etcdtui.cluster_data import Alarm, HashKV, Member, MemberList
from etcdtui.services import consistency


class _Source:
    def __init__(self, hashes: Sequence[int], compact: Sequence[int] = (0, 0, 0)) -> None:
        self.hashes, self.compact = hashes, compact
        self.alarm_reads = 0

    async def members(self) -> MemberList:
        return MemberList(1, tuple(Member(i, f"m{i}", (), (), False) for i in (1, 2, 3)))

    async def hashkv(self, revision: int | None = None) -> Sequence[HashKV]:
        return tuple(
            HashKV(f"https://10.0.0.{i}:2379", i, h, 42, c)
            for i, h, c in zip((1, 2, 3), self.hashes, self.compact, strict=True)
        )

    async def alarms(self) -> tuple[Alarm, ...]:
        self.alarm_reads += 1
        return (Alarm(2, "CORRUPT"),)


async def test_the_odd_member_is_named() -> None:
    r = await consistency.check(_Source([7, 7, 9]), with_alarms=False)
    assert [r.name(h.member_id) for h in r.mismatched] == ["m3"]
    assert not r.consistent and "m3" in consistency.describe(r)


async def test_agreement_tie_and_compaction() -> None:
    assert (await consistency.check(_Source([7, 7, 7]), with_alarms=False)).consistent
    tie = _Source([1, 2, 3])
    assert len((await consistency.check(tie, with_alarms=False)).mismatched) == 3
    moving = _Source([1, 2, 2], compact=(0, 5, 5))
    r = await consistency.check(moving, with_alarms=False)
    assert not r.comparable and r.mismatched == [] and "compact" in consistency.describe(r)


async def test_the_sentinel_mode_reads_no_alarms() -> None:
    quiet = _Source([7, 7, 7])
    await consistency.check(quiet, with_alarms=False)
    assert quiet.alarm_reads == 0
    loud = _Source([7, 7, 7])
    r = await consistency.check(loud)
    assert loud.alarm_reads == 1 and not r.consistent and r.corrupt_alarms == (2,)
