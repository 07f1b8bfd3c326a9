"""Maintenance use cases: compaction, guided defragmentation, alarm disarm, NOSPACE.

The CLI (`etcdtui maintenance ...`) and the console call these. Every mutation:

- checks quorum and health first, and again right before it is sent;
- is refused on a read-only session;
- is written to the audit log (through :class:`ClusterService`);
- comes with the etcdctl command that does the same, for the runbook.

Defragmentation follows the practice of ahrtr/etcd-defrag: every member healthy
first, one member at a time, followers first and the leader last (or leadership
moved away first), a settle wait between members, and an abort as soon as any member
turns unhealthy. Learners are listed apart: etcd (3.5) answers Defragment on a
learner with "rpc not supported for learner", so the plan says how to do them.
Defrag blocks the member's reads and writes while it runs; each result says for how
long.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import ClusterReading, EndpointStatus, Member, hex_id
from etcdtui.domain import quorum
from etcdtui.i18n import N_, _
from etcdtui.services.advisories import DEFAULT_QUOTA_BYTES
from etcdtui.services.cluster import ClusterService
from etcdtui.services.defrag_rules import compile_rule
from etcdtui.services.metrics import MemberMetrics, by_endpoint, scrape_all, scrape_urls

WRITE_CHECK_KEY = b"etcdtui/maintenance/write-check"
DEFAULT_SETTLE_S = 2.0
SETTLE_TIMEOUT_S = 30.0
# After compaction and defrag, the live data must sit clearly below the quota, or the
# alarm comes straight back once disarmed.
DISARM_BELOW = 0.95

Event = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


# --- what we know of each member --------------------------------------------------------


@dataclass(frozen=True)
class MemberSize:
    """One member as defrag sees it."""

    name: str
    member_id: int
    endpoint: str
    is_leader: bool
    is_learner: bool
    db_size: int
    db_size_in_use: int
    quota: int
    quota_known: bool

    @property
    def free(self) -> int:
        return max(0, self.db_size - self.db_size_in_use)

    def rule_env(self) -> dict[str, float]:
        return {
            "dbSize": float(self.db_size),
            "dbSizeInUse": float(self.db_size_in_use),
            "dbSizeFree": float(self.free),
            "dbQuota": float(self.quota),
            "dbQuotaUsage": self.db_size / self.quota if self.quota else 0.0,
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "member_id": hex_id(self.member_id),
            "endpoint": self.endpoint,
            "role": "leader" if self.is_leader else "learner" if self.is_learner else "follower",
            "db_size": self.db_size,
            "db_size_in_use": self.db_size_in_use,
            "db_size_free": self.free,
            "quota": self.quota,
            "quota_source": "metrics" if self.quota_known else "default",
        }


@dataclass(frozen=True)
class DefragPlan:
    """Members in the order they will be defragmented, and the ones left out (why)."""

    order: tuple[MemberSize, ...]
    skipped: tuple[tuple[MemberSize, str], ...]
    move_leader_to: MemberSize | None = None
    notes: tuple[str, ...] = ()

    def commands(self) -> list[str]:
        out: list[str] = []
        for m in self.order:
            if m.is_leader and self.move_leader_to is not None:
                out.append(f"etcdctl move-leader {hex_id(self.move_leader_to.member_id)}")
            out.append(f"etcdctl --endpoints={m.endpoint} defrag")
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "order": [m.as_dict() for m in self.order],
            "skipped": [m.as_dict() | {"reason": why} for m, why in self.skipped],
            "move_leader_to": self.move_leader_to.name if self.move_leader_to else None,
            "notes": list(self.notes),
            "etcdctl": self.commands(),
        }


@dataclass(frozen=True)
class DefragResult:
    member: MemberSize
    ok: bool
    blocked_s: float | None = None
    after_size: int | None = None
    after_in_use: int | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.member.name,
            "endpoint": self.member.endpoint,
            "ok": self.ok,
            "before": {"db_size": self.member.db_size, "in_use": self.member.db_size_in_use},
            "after": {"db_size": self.after_size, "in_use": self.after_in_use},
            "blocked_seconds": self.blocked_s,
            "error": self.error,
        }


class DefragAborted(errors.ClusterError):
    code = "defrag-aborted"
    default_title = N_("Defragmentation stopped")
    default_fix = N_(
        "Find out why the member is unhealthy (etcdtui status), fix it, then run the "
        "same command again: members already done are quick to do again."
    )

    def __init__(self, cause: str, results: Sequence[DefragResult], **kw: Any) -> None:
        super().__init__(cause, **kw)
        self.results = tuple(results)


@dataclass(frozen=True)
class CompactResult:
    revision: int  # the revision compacted to
    head: int  # the revision when it ran
    skipped: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"compacted_to": self.revision, "head": self.head, "skipped": self.skipped}


@dataclass
class NospaceReport:
    alarms_before: list[dict[str, object]] = field(default_factory=list)
    compact: CompactResult | None = None
    defrag: list[DefragResult] = field(default_factory=list)
    disarmed: list[dict[str, object]] = field(default_factory=list)
    write_ok: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "alarms_before": self.alarms_before,
            "compact": self.compact.as_dict() if self.compact else None,
            "defrag": [r.as_dict() for r in self.defrag],
            "disarmed": self.disarmed,
            "write_ok": self.write_ok,
        }


def learner_reason() -> str:
    return _("a learner: etcd refuses the Defragment call on learners")


def quota_note() -> str:
    return _(
        "Raising --quota-backend-bytes alone does nothing while the NOSPACE alarm is "
        "active: etcd keeps refusing writes until the alarm is disarmed, and it raises "
        "the alarm again at once if the db is still above the quota."
    )


def nospace_commands(endpoints: Sequence[str]) -> list[str]:
    """The etcdctl runbook for NOSPACE recovery (documented in docs/maintenance.md)."""
    return [
        "rev=$(etcdctl endpoint status -w json | jq -r '.[0].Status.header.revision')",
        "etcdctl compact $rev --physical",
        *[f"etcdctl --endpoints={u} defrag" for u in endpoints],
        "etcdctl alarm disarm",
        "etcdctl alarm list",
    ]


# --- the use cases ----------------------------------------------------------------------


class Maintenance:
    """Use cases over one :class:`ClusterService` (which carries the audit log)."""

    def __init__(
        self,
        svc: ClusterService,
        *,
        settle_s: float = DEFAULT_SETTLE_S,
        settle_timeout_s: float = SETTLE_TIMEOUT_S,
        on_event: Event = _quiet,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.svc = svc
        self.settle_s = settle_s
        self.settle_timeout_s = settle_timeout_s
        self.on_event = on_event
        self.sleep = sleep
        self.clock = clock

    # --- checks ---------------------------------------------------------------------------

    def _writable(self, action: str) -> None:
        if self.svc.settings.read_only:
            raise errors.ReadOnlyMode(
                _("{action} changes the cluster, and this session is read-only").format(
                    action=action
                )
            )

    async def read_cluster(self) -> ClusterReading:
        reading = await self.svc.overview()
        if reading.members is None:
            raise errors.UnhealthyCluster(
                reading.members_error or _("no member list"), title=_("Cannot list members")
            )
        return reading

    async def require_quorum(self, action: str) -> ClusterReading:
        """Quorum present, else refuse ``action``."""
        reading = await self.read_cluster()
        assert reading.members is not None
        s = quorum.summarize(reading.members.members, reading.healthy_ids())
        if not s.has_quorum:
            raise errors.UnhealthyCluster(
                _("{action} refused: {state}").format(action=action, state=quorum.describe(s)),
                fix=_("Restore quorum first (etcdtui status shows which members are down)."),
            )
        return reading

    async def require_all_healthy(self, action: str) -> ClusterReading:
        """Every started member healthy, else refuse ``action``: defrag takes one member
        out for a while, so a second one down could cost the quorum."""
        reading = await self.require_quorum(action)
        assert reading.members is not None
        healthy = reading.healthy_ids()
        sick = [m for m in reading.members.members if m.started and m.id not in healthy]
        if sick:
            raise errors.UnhealthyCluster(
                _("{action} refused: {names} not healthy").format(
                    action=action, names=", ".join(_label(m) for m in sick)
                ),
                fix=_("Defragment only when every member is healthy; fix {names} first.").format(
                    names=", ".join(_label(m) for m in sick)
                ),
            )
        return reading

    async def sizes(self, reading: ClusterReading) -> list[MemberSize]:
        """Each started member's db size, in-use size and real quota (from /metrics)."""
        assert reading.members is not None
        by_id = {s.member_id: s for s in reading.endpoints if s.ok}
        urls = scrape_urls(self.svc.settings, [s.endpoint for s in by_id.values()])
        scraped = by_endpoint(await scrape_all(urls, self.svc.settings), by_id.values())
        leader = reading.leader
        out: list[MemberSize] = []
        for m in reading.members.members:
            st = by_id.get(m.id)
            if st is None:
                continue
            metrics: MemberMetrics | None = scraped.get(st.endpoint)
            quota = (metrics.quota_bytes if metrics and metrics.ok else None) or st.db_size_quota
            out.append(
                MemberSize(
                    name=_label(m),
                    member_id=m.id,
                    endpoint=st.endpoint,
                    is_leader=m.id == leader,
                    is_learner=m.is_learner,
                    db_size=st.db_size,
                    db_size_in_use=st.db_size_in_use,
                    quota=quota or DEFAULT_QUOTA_BYTES,
                    quota_known=bool(quota),
                )
            )
        return out

    # --- defrag ---------------------------------------------------------------------------

    async def plan_defrag(
        self,
        refs: Sequence[str] = (),
        *,
        rule: str | None = None,
        move_leader: bool = False,
    ) -> DefragPlan:
        """Which members, in which order. ``refs`` empty means every member."""
        predicate = compile_rule(rule) if rule else None
        reading = await self.require_all_healthy(_("defrag"))
        assert reading.members is not None
        sizes = await self.sizes(reading)
        seen = {m.member_id for m in sizes}
        absent = [
            (
                MemberSize(
                    _label(m),
                    m.id,
                    (m.client_urls or ("",))[0],
                    False,
                    m.is_learner,
                    0,
                    0,
                    0,
                    False,
                ),
                _("not started yet") if not m.started else _("no status answer"),
            )
            for m in reading.members.members
            if m.id not in seen
        ]
        by_name = {m.name: m for m in sizes}
        by_id = {hex_id(m.member_id): m for m in sizes}
        wanted: list[MemberSize] = []
        for ref in refs:
            found = by_name.get(ref) or by_id.get(ref.lower().removeprefix("0x"))
            if found is None:
                found = next((m for m in sizes if m.endpoint.endswith(ref)), None)
            if found is None:
                raise errors.MemberNotFound(
                    _("no started member named or with ID {ref!r}").format(ref=ref),
                    fix=_("Run `etcdtui members` to see names and IDs, or pass --all."),
                    console_fix=_(
                        "Press 1 to see the members' names and IDs, or leave the member out "
                        "to act on all of them."
                    ),
                )
            if found not in wanted:
                wanted.append(found)
        candidates = wanted or sizes
        chosen: list[MemberSize] = []
        skipped: list[tuple[MemberSize, str]] = [] if wanted else absent
        for m in candidates:
            if m.is_learner:
                skipped.append((m, learner_reason()))
            elif predicate is not None and not predicate(m.rule_env()):
                skipped.append((m, _("does not match --rule {rule}").format(rule=rule)))
            else:
                chosen.append(m)
        # followers first, the leader last (learners never get here: see learner_reason)
        chosen.sort(key=lambda m: (1 if m.is_leader else 0, m.name))
        notes: list[str] = []
        move_to: MemberSize | None = None
        leader = next((m for m in chosen if m.is_leader), None)
        if leader is not None and move_leader:
            voters_done = [m for m in chosen if not m.is_learner and not m.is_leader]
            others = voters_done or [m for m in sizes if not m.is_learner and not m.is_leader]
            if others:
                move_to = others[0]
                notes.append(
                    _("leadership moves from {a} to {b} before {a} is defragmented").format(
                        a=leader.name, b=move_to.name
                    )
                )
        elif leader is not None:
            notes.append(
                _("{name} is the leader: it goes last; writes pause while it blocks").format(
                    name=leader.name
                )
            )
        for m, _why in skipped:
            if m.is_learner:
                notes.append(
                    _(
                        "learner {name}: promote it and defragment it then, or stop it and run "
                        "`etcdutl defrag --data-dir DIR` on its host"
                    ).format(name=m.name)
                )
        return DefragPlan(tuple(chosen), tuple(skipped), move_to, tuple(notes))

    async def run_defrag(
        self, plan: DefragPlan, *, hook: Callable[[DefragResult], Awaitable[None]] | None = None
    ) -> list[DefragResult]:
        """Defragment the plan's members, one at a time. Raises DefragAborted (with the
        results so far) as soon as a member is unhealthy before or after its turn."""
        self._writable(_("defrag"))
        results: list[DefragResult] = []
        total = len(plan.order)
        for i, m in enumerate(plan.order, 1):
            # re-check right before the mutation: every member healthy, quorum intact
            try:
                reading = await self.require_all_healthy(_("defrag"))
            except errors.UnhealthyCluster as exc:
                raise DefragAborted(
                    _("before {name} ({i} of {n}): {why}").format(
                        name=m.name, i=i, n=total, why=exc.cause
                    ),
                    results,
                ) from None
            target = m
            if m.is_leader and plan.move_leader_to is not None and reading.leader == m.member_id:
                self.on_event(
                    _("moving leadership from {a} to {b}").format(
                        a=m.name, b=plan.move_leader_to.name
                    )
                )
                await self.svc.move_leader(plan.move_leader_to.member_id)
            current = {s.member_id: s for s in reading.endpoints if s.ok}.get(m.member_id)
            if current is not None:  # sizes as they are now, not when planned
                target = replace(m, db_size=current.db_size, db_size_in_use=current.db_size_in_use)
            self.on_event(
                _("defragmenting {name} ({i} of {n}), db {size}, in use {used}").format(
                    name=m.name, i=i, n=total, size=target.db_size, used=target.db_size_in_use
                )
            )
            try:
                blocked = await self.svc.defragment(
                    m.endpoint,
                    note={
                        "member": m.name,
                        "member_id": hex_id(m.member_id),
                        "order": i,
                        "of": total,
                        "was_leader": m.is_leader,
                        "db_size_before": target.db_size,
                    },
                )
            except errors.EtcdtuiError as exc:
                results.append(DefragResult(target, False, error=exc.cause))
                raise DefragAborted(
                    _("defrag of {name} failed: {why}").format(name=m.name, why=exc.cause),
                    results,
                ) from None
            after = await self._settle(m.endpoint)
            result = DefragResult(
                target,
                True,
                blocked_s=blocked,
                after_size=after.db_size if after else None,
                after_in_use=after.db_size_in_use if after else None,
            )
            results.append(result)
            self.on_event(_("{name} done: blocked {s:.2f} s").format(name=m.name, s=blocked or 0.0))
            if hook is not None:
                await hook(result)
            if i < total:
                await self.sleep(self.settle_s)
        return results

    async def _settle(self, url: str) -> EndpointStatus | None:
        """Wait (bounded) until the member answers status and a health read again."""
        deadline = self.clock() + self.settle_timeout_s
        last: EndpointStatus | None = None
        while True:
            st = await self.svc.endpoint_status(url)
            if st.ok:
                last = st
                health = await self.svc.endpoint_health(url)
                if health.healthy:
                    return st
            if self.clock() >= deadline:
                return last
            await self.sleep(0.2)

    # --- compaction, alarms, NOSPACE -----------------------------------------------------

    async def compact(self, retain: int = 0) -> CompactResult:
        """Compact to the current revision minus ``retain``."""
        if retain < 0:
            raise errors.UsageError(_("--retain must be 0 or more"))
        self._writable(_("compact"))
        await self.require_quorum(_("compact"))
        head = (await self.svc.get(b"\0", keys_only=True, limit=1)).header.revision
        target = head - retain
        if target <= 0:
            return CompactResult(0, head, skipped=True)
        reading = await self.require_quorum(_("compact"))  # right before the mutation
        del reading
        try:
            await self.svc.compact(target)
        except errors.EtcdtuiError as exc:
            if "compacted" in exc.cause.lower():
                return CompactResult(target, head, skipped=True)
            raise
        return CompactResult(target, head)

    async def disarm(self) -> list[dict[str, object]]:
        self._writable(_("alarm disarm"))
        await self.require_quorum(_("alarm disarm"))
        alarms = await self.svc.alarms()
        if not alarms:
            return []
        await self.require_quorum(_("alarm disarm"))
        return [a.as_dict() for a in await self.svc.disarm_alarms()]

    async def check_write(self) -> None:
        """Write and delete one key of etcdtui's own: proof that writes work."""
        await self.svc.put(WRITE_CHECK_KEY, b"ok")
        await self.svc.delete(WRITE_CHECK_KEY)

    async def nospace(self, *, move_leader: bool = False) -> NospaceReport:
        """Compact to the current revision, defragment every member (leader last),
        disarm the alarms, then prove a write succeeds. Each step checks the state first,
        so running it again after a crash just finishes the job."""
        self._writable(_("NOSPACE recovery"))
        report = NospaceReport()
        await self.require_quorum(_("NOSPACE recovery"))
        report.alarms_before = [a.as_dict() for a in await self.svc.alarms()]
        self.on_event(_("step 1: compact to the current revision"))
        report.compact = await self.compact(0)
        self.on_event(_("step 2: defragment each member, leader last"))
        plan = await self.plan_defrag(move_leader=move_leader)
        report.defrag = await self.run_defrag(plan)
        reading = await self.require_all_healthy(_("alarm disarm"))
        over = [
            m for m in await self.sizes(reading) if m.quota and m.db_size > DISARM_BELOW * m.quota
        ]
        if over:
            raise errors.NoSpace(
                _(
                    "after compaction and defrag, {names} still hold(s) more than 95% of the quota"
                ).format(names=", ".join(m.name for m in over)),
                title=_("Live data exceeds the quota"),
                fix=_(
                    "Delete data you do not need, or raise --quota-backend-bytes on every "
                    "member (restart them one at a time), then run this again."
                ),
                console_fix=_(
                    "Delete data you do not need, or raise etcd's quota-backend-bytes on "
                    "every member (restart them one at a time), then run :nospace again."
                ),
            )
        self.on_event(_("step 3: disarm the alarms"))
        report.disarmed = await self.disarm()
        self.on_event(_("step 4: check that a write succeeds"))
        await self.check_write()
        report.write_ok = True
        if self.svc.audit is not None:
            self.svc.audit.append(
                context=self.svc.settings.context,
                action="maintenance-nospace",
                params={"write_check_key": WRITE_CHECK_KEY.decode()},
                result={
                    "compacted_to": report.compact.revision if report.compact else None,
                    "defragmented": [r.member.name for r in report.defrag],
                    "disarmed": report.disarmed,
                    "write_ok": True,
                },
            )
        return report


def _label(m: Member) -> str:
    return m.name or m.hex_id
