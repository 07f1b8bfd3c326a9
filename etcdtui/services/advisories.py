"""Standing advice about a cluster, each item with a one-line why.

Pure functions over what one refresh saw (member list, per-member status and
health, alarms) so the console's health pane, the CLI and the security scan all
give the same advice. No I/O, no textual.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from etcdtui.i18n import _, ngettext
from etcdtui.models import Alarm, EndpointStatus, MemberList, hex_id
from etcdtui.services import quorum

DEFAULT_QUOTA_BYTES = 2 * 1024**3  # etcd's default --quota-backend-bytes
QUOTA_WARN_RATIO = 0.8
UNREACHABLE_AFTER_S = 10.0
# Minimum patch releases for production (Kubernetes "Operating etcd clusters" page).
MIN_PATCH = {(3, 4): 29, (3, 5): 11}
INCONSISTENCY_BUG = ((3, 5, 0), (3, 5, 2))


@dataclass(frozen=True)
class Advisory:
    code: str  # stable machine name
    level: str  # "error" | "warning" | "info"
    title: str
    why: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "level": self.level, "title": self.title, "why": self.why}


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
) -> tuple[Advisory, ...]:
    """Advice, most urgent first.

    ``statuses`` maps member ID to the last good status of that member;
    ``unreachable_for`` maps member ID to seconds since it last answered.
    """
    out: list[Advisory] = []
    out += _quorum_advice(members, healthy_ids)
    out += [
        Advisory(
            f"alarm-{a.kind.lower()}",
            "error",
            _("Alarm {kind} on {member}").format(kind=a.kind, member=_name(members, a.member_id)),
            _alarm_why(a.kind),
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
                )
            )
    out += _version_advice(members, statuses)
    out += _quota_advice(members, statuses, default_quota)
    return tuple(out)


def _alarm_why(kind: str) -> str:
    if kind == "NOSPACE":
        return _("The db reached its quota: etcd accepts only reads and deletes until disarmed.")
    if kind == "CORRUPT":
        return _("A member's data diverged from the others: stop writes and investigate.")
    return _("etcd raised an alarm; writes may be refused.")


def _quorum_advice(members: MemberList | None, healthy_ids: Collection[int]) -> list[Advisory]:
    if members is None:
        return []
    s = quorum.summarize(members, healthy_ids)
    out: list[Advisory] = []
    if s.voters and not s.has_quorum:
        out.append(
            Advisory(
                "quorum-lost",
                "error",
                _("Quorum lost"),
                _("{state}: no write or membership change can commit.").format(
                    state=quorum.describe(s)
                ),
            )
        )
    elif s.voters and s.tolerance == 0:
        out.append(
            Advisory(
                "tolerance-zero",
                "warning",
                _("Tolerance 0"),
                _("{state}: one more failure loses quorum.").format(state=quorum.describe(s)),
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
            )
        )
    return out


def _version_advice(
    members: MemberList | None, statuses: Mapping[int, EndpointStatus]
) -> list[Advisory]:
    out: list[Advisory] = []
    versions: dict[str, list[str]] = {}
    for member_id, st in sorted(statuses.items()):
        if st.ok and st.version:
            versions.setdefault(st.version, []).append(_name(members, member_id))
    for text, names in sorted(versions.items()):
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
                )
            )
        if below_minimum(v):
            out.append(
                Advisory(
                    "old-version",
                    "warning",
                    _("etcd {v} is below the recommended minimum ({who})").format(v=text, who=who),
                    _("Kubernetes recommends 3.4.29+ or 3.5.11+ for known fixes."),
                )
            )
    if len(versions) > 1:
        out.append(
            Advisory(
                "mixed-versions",
                "warning",
                _("Mixed versions: {list}").format(list=", ".join(sorted(versions))),
                _("Fine during a rolling upgrade only; finish it, one member at a time."),
            )
        )
    return out


def _quota_advice(
    members: MemberList | None, statuses: Mapping[int, EndpointStatus], default_quota: int
) -> list[Advisory]:
    out: list[Advisory] = []
    for member_id, st in sorted(statuses.items()):
        if not st.ok:
            continue
        quota = st.db_size_quota or default_quota
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
                )
            )
    return out


def unreachable_phrase(seconds: float) -> str:
    n = int(seconds)
    return ngettext("unreachable for {n} s", "unreachable for {n} s", n).format(n=n)
