"""Standing advice about a cluster, each item with a one-line why.

Pure functions over what one refresh saw (member list, per-member status and
health, alarms) so the console's health pane, the CLI and the security scan all
give the same advice. No I/O, no textual.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from etcdtui.cluster_data import Alarm, EndpointStatus, MemberList, hex_id
from etcdtui.domain import quorum
from etcdtui.domain.formatting import age_words, human_bytes
from etcdtui.i18n import _
from etcdtui.records import record
from etcdtui.services import metrics
from etcdtui.services.metrics import MemberMetrics

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:  # imported where used: `etcdtui status` does not need it
    from etcdtui.services import versions

DEFAULT_QUOTA_BYTES = 2 * 1024**3  # etcd's default --quota-backend-bytes
QUOTA_WARN_RATIO = 0.8
UNREACHABLE_AFTER_S = 10.0
# Minimum patch releases for production (Kubernetes "Operating etcd clusters" page).
MIN_PATCH = {(3, 4): 29, (3, 5): 11}
INCONSISTENCY_BUG = ((3, 5, 0), (3, 5, 2))


@record(frozen=True)
class Advisory:
    """One piece of standing advice, with its why and the next step."""

    code: str  # stable machine name
    level: str  # "error" | "warning" | "info"
    title: str
    why: str
    action: str = ""  # the next step, named as a console key or `:` command
    fix: str = ""  # what to do, when the why does not already say it

    def as_dict(self) -> dict[str, str]:
        out = {
            "code": self.code,
            "level": self.level,
            "title": self.title,
            "why": self.why,
            "action": self.action,
        }
        if self.fix:
            out["fix"] = self.fix
        return out


@record(frozen=True)
class SnapshotHint:
    """The newest snapshot a restore would use (for the quorum-lost advice)."""

    name: str  # file name
    path: str
    age_seconds: float
    state: str  # catalog state: verified, sidecar-sha256-ok, ...


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", text.strip())
    if not match:
        return None
    major, minor, patch = (int(x) for x in match.groups())
    return major, minor, patch


def below_minimum(version: tuple[int, int, int]) -> bool:
    """True for releases older than the minimum Kubernetes recommends."""
    major, minor, patch = version
    if (major, minor) < (3, 4):
        return True
    floor = MIN_PATCH.get((major, minor))
    return floor is not None and patch < floor


# Leader changes in the 15 min window from which elections count as churn, not incidents.
LEADER_CHURN = 3


def _name(members: MemberList | None, member_id: int) -> str:
    m = members.by_id(member_id) if members else None
    return (m.name if m and m.name else None) or hex_id(member_id)


def advise(
    members: MemberList | None,
    statuses: Mapping[int, EndpointStatus],
    healthy_ids: Collection[int],
    alarms: Sequence[Alarm] = (),
    *,
    unreachable_for: Mapping[int, float] | None = None,
    unreachable_after: float = UNREACHABLE_AFTER_S,
    default_quota: int = DEFAULT_QUOTA_BYTES,
    added_names: Mapping[int, str] | None = None,
    restore_from: SnapshotHint | None = None,
    leader_changes: int = 0,
    quotas: Mapping[int, int] | None = None,
) -> tuple[Advisory, ...]:
    """Advice, most urgent first; each names its next step (``action``).

    ``statuses`` maps member ID to the last good status of that member;
    ``unreachable_for`` maps member ID to seconds since it last answered;
    ``added_names`` maps unstarted members to the name they were added with;
    ``restore_from`` is the newest verified snapshot, offered when quorum is lost.
    ``leader_changes`` counts the leader changes seen in the last 15 minutes.
    ``quotas`` maps member ID to its real quota (``etcd_server_quota_backend_bytes``),
    which wins over the status field and the 2 GiB default.
    """
    out: list[Advisory] = []
    out += _quorum_advice(members, healthy_ids, restore_from, statuses)
    out += _unstarted_advice(members, added_names or {})
    out += [
        Advisory(
            f"alarm-{a.kind.lower()}",
            "error",
            _("Alarm {kind} on {member}").format(kind=a.kind, member=_name(members, a.member_id)),
            _alarm_why(a.kind),
            _alarm_action(a.kind, _name(members, a.member_id)),
            _alarm_fix(a.kind),
        )
        for a in alarms
    ]
    for member_id, seconds in sorted((unreachable_for or {}).items()):
        if seconds >= unreachable_after:
            out.append(
                Advisory(
                    "unreachable",
                    "error",
                    _("{member} unreachable for {n} s").format(
                        member=_name(members, member_id), n=int(seconds)
                    ),
                    _("It misses every poll: a dead process, a hung disk or a partition."),
                    _(
                        "Restart its etcd; if the host is gone, press R on its row "
                        "(:replace {member}) to replace it."
                    ).format(member=_name(members, member_id)),
                )
            )
    if leader_changes >= LEADER_CHURN:
        out.append(
            Advisory(
                "leader-churn",
                "warning",
                _("{n} leader changes in 15 min").format(n=leader_changes),
                _(
                    "Frequent elections usually mean heartbeat starvation: a member misses "
                    "CPU or disk time (slow fsync, a busy or throttled host) or peer traffic "
                    "is lost, so heartbeats arrive after the election timeout. Check the "
                    "members' CPU, disk latency (wal fsync) and network, then consider a "
                    "larger --heartbeat-interval and --election-timeout."
                ),
            )
        )
    out += _version_advice(members, statuses)
    out += _quota_advice(members, statuses, default_quota, quotas or {})
    return tuple(out)


def _alarm_action(kind: str, member: str) -> str:
    if kind == "NOSPACE":
        return _(
            "Free space, then disarm: etcdctl compact REV, etcdctl defrag on each member, "
            "etcdctl alarm disarm (or raise --quota-backend-bytes)."
        )
    if kind == "CORRUPT":
        return _(
            "Run etcdtui hashkv to find the member that differs, then press R on it "
            "(:replace {member}) to rebuild it from the others."
        ).format(member=member)
    return _("Press 2 for health; etcdctl alarm list shows the alarm.")


def _down_voters(members: MemberList, healthy_ids: Collection[int]) -> list[str]:
    return sorted(
        _name(members, m.id)
        for m in members.members
        if not m.is_learner and m.started and m.id not in healthy_ids
    )


def restore_action(hint: SnapshotHint | None) -> str:
    if hint is None:
        return _(
            "press ctrl+r to restore from a snapshot (no verified snapshot in the snapshot "
            "directory: give the file's path)"
        )
    return _("press ctrl+r to restore from {file} ({state}, {age} old)").format(
        file=hint.name, state=_("verified"), age=age_words(hint.age_seconds)
    )


def _unstarted_advice(members: MemberList | None, added: Mapping[int, str]) -> list[Advisory]:
    out: list[Advisory] = []
    for m in members.members if members else ():
        if m.started:
            continue
        name = added.get(m.id)
        label = f"{name} ({hex_id(m.id)})" if name else hex_id(m.id)
        ref = name or hex_id(m.id)
        kind = _("Learner") if m.is_learner else _("Member")
        out.append(
            Advisory(
                "member-not-started",
                "warning",
                _("{kind} {member} was added but never started").format(kind=kind, member=label),
                _(
                    "Its etcd process never joined. While it waits, etcd refuses to add "
                    "another learner, and a voter that never starts counts against quorum."
                ),
                _(
                    "Start its etcd with --initial-cluster-state existing, or remove it: "
                    ":remove {ref} (ctrl+d on its row)."
                ).format(ref=ref),
            )
        )
    return out


def _alarm_why(kind: str) -> str:
    if kind == "NOSPACE":
        return _("The db reached its quota: etcd accepts only reads and deletes until disarmed.")
    if kind == "CORRUPT":
        return _("A member's data diverged from the others: stop writes and investigate.")
    return _("etcd raised an alarm; writes may be refused.")


def _alarm_fix(kind: str) -> str:
    if kind == "NOSPACE":
        return _("Guided recovery: N (:nospace) in the console, or `etcdtui maintenance nospace`.")
    if kind == "CORRUPT":
        return _("Find the odd member: `etcdtui check consistency`.")
    return ""


def _quorum_advice(
    members: MemberList | None,
    healthy_ids: Collection[int],
    restore_from: SnapshotHint | None = None,
    statuses: Mapping[int, EndpointStatus] | None = None,
) -> list[Advisory]:
    if members is None:
        return []
    s = quorum.summarize(members, healthy_ids)
    down = _down_voters(members, healthy_ids)
    silent = [
        _name(members, m.id)
        for m in members.members
        if not m.is_learner and m.started and not (statuses and m.id in statuses)
    ]
    if statuses is not None and silent:
        down = [n for n in down if n in silent]  # the ones not answering at all
    out: list[Advisory] = []
    if s.voters and not s.has_quorum:
        back = (
            _("Bring {names} back (start their etcd): quorum returns by itself. ").format(
                names=", ".join(down)
            )
            if down
            else ""
        )
        out.append(
            Advisory(
                "quorum-lost",
                "error",
                _("Quorum lost"),
                _("{state}: no write or membership change can commit.").format(
                    state=quorum.describe(s)
                ),
                back
                + _("If they are gone for good, {restore}.").format(
                    restore=restore_action(restore_from)
                ),
            )
        )
    elif s.voters and s.tolerance == 0:
        action = (
            _("press R on {m} (:replace {m}) to replace it").format(m=down[0])
            if down
            else _(":scale {n} to tolerate a failure").format(n=s.voters + 1 + s.voters % 2)
        )
        out.append(
            Advisory(
                "tolerance-zero",
                "warning",
                _("Tolerance 0"),
                _("{state}: one more failure loses quorum.").format(state=quorum.describe(s)),
                action[0].upper() + action[1:] + ".",
            )
        )
    if s.voters and s.voters % 2 == 0:
        out.append(
            Advisory(
                "even-voters",
                "warning",
                _("Even number of voters ({n})").format(n=s.voters),
                _("{n} voters tolerate no more failures than {m}; finish at an odd size.").format(
                    n=s.voters, m=s.voters - 1
                ),
                _(":scale {n} adds a member (learner first).").format(n=s.voters + 1),
            )
        )
    return out


def _version_advice(
    members: MemberList | None, statuses: Mapping[int, EndpointStatus]
) -> list[Advisory]:
    out: list[Advisory] = []
    by_version: dict[str, list[str]] = {}
    for member_id, st in sorted(statuses.items()):
        if st.ok and st.version:
            by_version.setdefault(st.version, []).append(_name(members, member_id))
    for text, names in sorted(by_version.items()):
        v = parse_version(text)
        if v is None:
            continue
        who = ", ".join(names)
        if INCONSISTENCY_BUG[0] <= v <= INCONSISTENCY_BUG[1]:
            out.append(
                Advisory(
                    "inconsistency-bug",
                    "error",
                    _("etcd {v} has the data inconsistency bug ({who})").format(v=text, who=who),
                    _("3.5.0-3.5.2 can diverge after a crash; upgrade to 3.5.11 or later."),
                    _(
                        "Upgrade {who} one member at a time; watch pane 2 (press 2) return to "
                        "healthy between members."
                    ).format(who=who),
                )
            )
        if below_minimum(v):
            why = _("Kubernetes recommends 3.4.29+ or 3.5.11+ for known fixes.")
            from etcdtui.services import versions  # only for old members: status start-up

            gate = versions.next_minor_gate(text)
            if gate is not None and v[2] < gate.min_patch:
                why += " " + _gate_sentence(gate)
            out.append(
                Advisory(
                    "old-version",
                    "warning",
                    _("etcd {v} is below the recommended minimum ({who})").format(v=text, who=who),
                    why,
                    _(
                        "Upgrade {who} one member at a time; watch pane 2 (press 2) return to "
                        "healthy between members."
                    ).format(who=who),
                )
            )
    if len(by_version) > 1:
        out.append(
            Advisory(
                "mixed-versions",
                "warning",
                _("Mixed versions: {list}").format(list=", ".join(sorted(by_version))),
                _("Fine during a rolling upgrade only; finish it, one member at a time."),
                _("Upgrade the older members next; press 2 to watch health between members."),
            )
        )
    out += _upgrade_gate_advice(by_version)
    return out


def _gate_sentence(gate: versions.UpgradeGate) -> str:
    return _(
        "Before an upgrade to {to}, every member must run {req} or later (source: {src})."
    ).format(to=f"{gate.to_minor[0]}.{gate.to_minor[1]}", req=gate.required, src=gate.source)


def _upgrade_gate_advice(by_version: Mapping[str, list[str]]) -> list[Advisory]:
    """A minor upgrade under way (members on two minors) while members on the older
    minor are below the patch etcd's upgrade guide requires first."""
    if len(by_version) < 2:
        return []  # one version: no upgrade under way (and no import at start-up)
    from etcdtui.services import versions  # only for the console's version advice

    minors = {versions.minor_of(v) for v in by_version} - {None}
    if len(minors) < 2:
        return []
    newest = max(m for m in minors if m is not None)
    target = f"{newest[0]}.{newest[1]}.0"
    members = {name: v for v, names in by_version.items() for name in names}
    problems = versions.upgrade_gate_problems(members, target)
    gated = [p for p in problems if p.kind == "below-gate"]
    if not gated:
        return []
    gate = versions.gate_for((newest[0], newest[1] - 1), newest)
    if gate is None:
        return []
    old = any(below_minimum(parse_version(p.version) or (0, 0, 0)) for p in gated)
    who = ", ".join(f"{p.member} {p.version}" for p in gated)
    return [
        Advisory(
            "upgrade-gate",
            "warning" if old else "info",
            _("Upgrade to {to} under way with members below {req} ({who})").format(
                to=f"{newest[0]}.{newest[1]}", req=gate.required, who=who
            ),
            _gate_sentence(gate),
            _("Bring {who} to {req} first, one member at a time; press 2 to watch health.").format(
                who=", ".join(p.member for p in gated), req=gate.required
            ),
        )
    ]


def _quota_advice(
    members: MemberList | None,
    statuses: Mapping[int, EndpointStatus],
    default_quota: int,
    quotas: Mapping[int, int],
) -> list[Advisory]:
    out: list[Advisory] = []
    for member_id, st in sorted(statuses.items()):
        if not st.ok:
            continue
        quota = quotas.get(member_id) or st.db_size_quota or default_quota
        if quota and st.db_size > QUOTA_WARN_RATIO * quota:
            pct = round(100 * st.db_size / quota)
            out.append(
                Advisory(
                    "db-near-quota",
                    "warning",
                    # the % sign is in the value: "{pct}% of" looks like a %-format to gettext
                    _("{member}: db at {percent} of quota").format(
                        member=_name(members, member_id), percent=f"{pct}%"
                    ),
                    _("At 100% etcd raises NOSPACE; compact, defragment, or raise the quota."),
                    _(
                        "etcdctl compact REV, then etcdctl defrag on each member, one at a "
                        "time; or raise --quota-backend-bytes."
                    ),
                )
            )
    return out


def metrics_advice(
    members: MemberList | None,
    samples: Sequence[MemberMetrics],
    *,
    earlier: Mapping[str, MemberMetrics] | None = None,
    leader_changes_in_window: Mapping[str, int] | None = None,
    proposals_failed_in_window: Mapping[str, int] | None = None,
) -> tuple[Advisory, ...]:
    """Advice from each member's /metrics, with etcd's own thresholds.

    ``earlier`` maps endpoint to an older scrape, so p99s cover the time between them
    (the lifetime of the process otherwise); the ``*_in_window`` maps give counter
    increases over the last 15 minutes (from :class:`MetricsHistory`)."""
    out: list[Advisory] = []
    before = earlier or {}
    changes = leader_changes_in_window or {}
    failed = proposals_failed_in_window or {}

    def who(m: MemberMetrics) -> str:
        return _name(members, m.member_id) if m.member_id else m.endpoint

    for m in samples:
        if not m.ok:
            continue
        prior = before.get(m.endpoint)
        if m.has_leader is False:
            out.append(
                Advisory(
                    "no-leader",
                    "error",
                    _("{member} has no leader").format(member=who(m)),
                    _("etcd_server_has_leader is 0: it cannot serve writes or linearizable reads."),
                    fix=_("Check the network between members and that a quorum of them runs."),
                )
            )
        fsync = m.p99("wal_fsync", prior)
        if fsync is not None and fsync > metrics.WAL_FSYNC_ALERT_S:
            out.append(
                Advisory(
                    "slow-wal-fsync",
                    "error",
                    _("{member}: WAL fsync p99 {ms:.0f} ms").format(member=who(m), ms=fsync * 1e3),
                    _(
                        "Above etcd's alert of {alert:.0f} ms (healthy below {ok:.0f} ms). Usual "
                        "cause: a slow or shared disk, or a noisy neighbour."
                    ).format(
                        alert=metrics.WAL_FSYNC_ALERT_S * 1e3, ok=metrics.WAL_FSYNC_HEALTHY_S * 1e3
                    ),
                    fix=_("Give etcd a dedicated SSD; move other I/O off that disk."),
                )
            )
        commit = m.p99("backend_commit", prior)
        if commit is not None and commit > metrics.BACKEND_COMMIT_ALERT_S:
            out.append(
                Advisory(
                    "slow-backend-commit",
                    "error",
                    _("{member}: backend commit p99 {ms:.0f} ms").format(
                        member=who(m), ms=commit * 1e3
                    ),
                    _(
                        "Above etcd's alert of {alert:.0f} ms (healthy below {ok:.0f} ms). Usual "
                        "cause: a slow or shared disk, or a large fragmented db."
                    ).format(
                        alert=metrics.BACKEND_COMMIT_ALERT_S * 1e3,
                        ok=metrics.BACKEND_COMMIT_HEALTHY_S * 1e3,
                    ),
                    fix=_("Give etcd a dedicated SSD; defragment if the db is mostly free space."),
                )
            )
        for peer, rtt in sorted(m.peer_rtt_p99(prior).items()):
            if rtt is not None and rtt > metrics.PEER_RTT_ALERT_S:
                out.append(
                    Advisory(
                        "slow-peer-rtt",
                        "warning",
                        _("{member} to {peer}: peer RTT p99 {ms:.0f} ms").format(
                            member=who(m), peer=peer, ms=rtt * 1e3
                        ),
                        _(
                            "Above etcd's alert of {alert:.0f} ms. Usual cause: the network "
                            "between members (distance, congestion, packet loss)."
                        ).format(alert=metrics.PEER_RTT_ALERT_S * 1e3),
                        fix=_("Keep members in one region; raise --heartbeat-interval to match."),
                    )
                )
        n = changes.get(m.endpoint)
        if n is not None and n >= metrics.LEADER_CHANGES_ALERT:
            out.append(
                Advisory(
                    "frequent-leader-changes",
                    "warning",
                    _("{member} saw {n} leader changes in 15 min").format(member=who(m), n=n),
                    _(
                        "{alert} or more in 15 minutes means heartbeats are missed. Usual "
                        "cause: a starved or slow disk or CPU, or the network."
                    ).format(alert=metrics.LEADER_CHANGES_ALERT),
                    fix=_("Check WAL fsync and peer RTT; give etcd dedicated CPU and disk."),
                )
            )
        f = failed.get(m.endpoint)
        if f is not None and f > metrics.PROPOSALS_FAILED_ALERT:
            out.append(
                Advisory(
                    "proposals-failed",
                    "warning",
                    _("{member}: {n} proposals failed in 15 min").format(member=who(m), n=f),
                    _(
                        "More than {alert} in 15 minutes. Usual cause: leader elections or a "
                        "member cut off from the quorum."
                    ).format(alert=metrics.PROPOSALS_FAILED_ALERT),
                    fix=_("Look at leader changes and peer RTT first."),
                )
            )
        ratio = m.quota_ratio
        if ratio is not None and ratio > metrics.QUOTA_ALERT:
            out.append(
                Advisory(
                    "db-at-quota",
                    "error",
                    _("{member}: db at {pct:.0f}% of its {quota} quota").format(
                        member=who(m), pct=ratio * 100, quota=human_bytes(m.quota_bytes or 0)
                    ),
                    _("Above etcd's alert of 95%: NOSPACE is near or raised."),
                    _("Press N (:nospace) to compact, defragment each member and disarm."),
                    fix=_("Run `etcdtui maintenance nospace` (compact, defragment, disarm)."),
                )
            )
        if (
            m.db_size
            and m.db_size_in_use is not None
            and m.db_size > 16 * 1024 * 1024
            and m.db_size_in_use < metrics.RECLAIMABLE_RATIO * m.db_size
        ):
            out.append(
                Advisory(
                    "defrag-would-reclaim",
                    "info",
                    _("{member}: {free} of the db is free space").format(
                        member=who(m), free=human_bytes(m.db_size - m.db_size_in_use)
                    ),
                    _("In use is below half the file size: defragmenting would reclaim it."),
                    fix=_("Run `etcdtui maintenance defrag --all` in a quiet hour."),
                )
            )
    return tuple(out)
