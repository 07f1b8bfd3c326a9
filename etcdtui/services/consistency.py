"""Is every member's data the same? HashKV at one common revision, member by member.

HashKV is answered by each member from its own backend (no raft proposal, nothing
written), so the check is safe on a read-only session. Members are compared only
when they hashed the same revision range (same compact revision); the odd one out is
the member whose hash differs from the majority's. An active CORRUPT alarm is
reported with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from etcdtui import errors
from etcdtui.cluster_data import Alarm, HashKV, MemberList, hex_id
from etcdtui.i18n import _


class HashSource(Protocol):
    """What the check needs of a cluster service (the real one, or the console's fake)."""

    async def members(self) -> MemberList: ...
    async def hashkv(self, revision: int | None = None) -> Sequence[HashKV]: ...
    async def alarms(self) -> tuple[Alarm, ...]: ...


@dataclass(frozen=True)
class ConsistencyReport:
    revision: int
    hashes: tuple[HashKV, ...]
    names: dict[int, str]
    corrupt_alarms: tuple[int, ...] = ()

    @property
    def answered(self) -> list[HashKV]:
        return [h for h in self.hashes if h.error is None]

    @property
    def comparable(self) -> bool:
        """Every member hashed the same range (same compact revision)."""
        return len({h.compact_revision for h in self.answered}) <= 1

    @property
    def majority_hash(self) -> int | None:
        counts = Counter(h.hash for h in self.answered)
        if not counts:
            return None
        (best, n), *rest = counts.most_common()
        if rest and rest[0][1] == n:
            return None  # a tie: no majority to side with
        return best

    @property
    def mismatched(self) -> list[HashKV]:
        """Members whose hash differs from the majority's (every member on a tie)."""
        if not self.comparable:
            return []
        hashes = {h.hash for h in self.answered}
        if len(hashes) <= 1:
            return []
        best = self.majority_hash
        return [h for h in self.answered if best is None or h.hash != best]

    @property
    def consistent(self) -> bool:
        return not self.mismatched and not self.corrupt_alarms

    def name(self, member_id: int) -> str:
        return self.names.get(member_id) or hex_id(member_id)

    def as_dict(self) -> dict[str, object]:
        odd = {h.endpoint for h in self.mismatched}
        return {
            "consistent": self.consistent,
            "comparable": self.comparable,
            "revision": self.revision,
            "corrupt_alarms": [self.name(i) for i in self.corrupt_alarms],
            "mismatched": [self.name(h.member_id) for h in self.mismatched],
            "members": [
                {
                    "name": self.name(h.member_id) if h.member_id else None,
                    "endpoint": h.endpoint,
                    "member_id": hex_id(h.member_id) if h.member_id else None,
                    "hash": h.hash,
                    "compact_revision": h.compact_revision,
                    "differs": h.endpoint in odd,
                    "error": h.error,
                }
                for h in self.hashes
            ],
        }


async def check(
    svc: HashSource, revision: int | None = None, *, with_alarms: bool = True
) -> ConsistencyReport:
    """HashKV on every member at one revision (default: the lowest current one).

    ``with_alarms=False`` skips the alarm list: etcd serves even an alarm read as a raft
    proposal, and the console's sentinel already has the alarms from its poll."""
    members: MemberList | None
    try:
        members = await svc.members()
    except errors.EtcdtuiError:
        members = None
    hashes = tuple(await svc.hashkv(revision))
    rev = next((h.revision for h in hashes), revision or 0)
    names = {m.id: m.name for m in members.members if m.name} if members else {}
    alarms: tuple[Alarm, ...] = ()
    if with_alarms:
        try:
            alarms = await svc.alarms()
        except errors.EtcdtuiError:
            alarms = ()
    corrupt = tuple(a.member_id for a in alarms if a.kind == "CORRUPT")
    return ConsistencyReport(rev, hashes, names, corrupt)


def describe(report: ConsistencyReport) -> str:
    """One line for the operator."""
    if report.corrupt_alarms:
        return _("CORRUPT alarm on {names}").format(
            names=", ".join(report.name(i) for i in report.corrupt_alarms)
        )
    if report.mismatched:
        return _("HashKV at revision {rev} differs on {names}").format(
            rev=report.revision,
            names=", ".join(report.name(h.member_id) for h in report.mismatched),
        )
    if not report.comparable:
        return _("members report different compact revisions; try again in a moment")
    silent = [h for h in report.hashes if h.error is not None]
    if silent:
        return _(
            "the {n} members that answered agree at revision {rev}; not checked: {names}"
        ).format(
            n=len(report.answered),
            rev=report.revision,
            names=", ".join(
                (report.name(h.member_id) if h.member_id else h.endpoint) for h in silent
            ),
        )
    return _("every member has the same HashKV at revision {rev}").format(rev=report.revision)
