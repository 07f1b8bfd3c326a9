"""What each etcd release accepts, as data with its source (docs/etcd-versions.md).

Pure functions, no I/O: which tool restores or reads a snapshot on which version,
which flags a release refuses, and the patch level every member must reach before a
minor upgrade. Every row names the etcd document (file and section) it comes from;
nothing here is from memory. Sources were read from etcd-io/etcd (CHANGELOG/, tags
v3.5.30, v3.6.0, v3.6.14, v3.7.1) and etcd-io/website (content/en/docs/v3.x/...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from etcdtui.i18n import _

Version = tuple[int, int, int]
MinorVersion = tuple[int, int]

WEBSITE = "etcd-io/website content/en/docs"
CHANGELOG = "etcd-io/etcd CHANGELOG"


def parse(text: str | None) -> Version | None:
    """``3.6.1``, ``v3.6.1``, ``3.6.0-rc.0`` or ``3.6`` (patch 0); None when not a version."""
    if not text:
        return None
    m = re.match(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def minor_of(text: str | None) -> MinorVersion | None:
    v = parse(text)
    return (v[0], v[1]) if v else None


def _fmt_minor(m: MinorVersion) -> str:
    return f"{m[0]}.{m[1]}"


# --- upgrade gates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UpgradeGate:
    from_minor: MinorVersion
    to_minor: MinorVersion
    min_patch: int  # every member runs from_minor.min_patch or later before the upgrade
    source: str

    @property
    def required(self) -> str:
        return f"{_fmt_minor(self.from_minor)}.{self.min_patch}"


UPGRADE_GATES: tuple[UpgradeGate, ...] = (
    UpgradeGate(
        (3, 4),
        (3, 5),
        0,
        f"{WEBSITE}/v3.5/upgrades/upgrade_3_5.md, 'Upgrade requirements': the running "
        "cluster must be 3.4 or greater (no patch level named)",
    ),
    UpgradeGate(
        (3, 5),
        (3, 6),
        32,
        f"{WEBSITE}/v3.6/upgrades/upgrade_3_6.md, 'Upgrade checklists' > 'Update 3.5': all "
        "3.5 members updated to 3.5.32 or later (3.5.20 until the 2026-08 revision)",
    ),
    UpgradeGate(
        (3, 6),
        (3, 7),
        11,
        f"{WEBSITE}/v3.7/upgrades/upgrade_3_7.md, 'Upgrade checklists' > 'Update 3.6' and "
        "'Upgrade requirements': the running cluster must be v3.6.11 or later",
    ),
)

ONE_MINOR_AT_A_TIME_SOURCE = (
    f"{WEBSITE}/v3.7/upgrades/upgrade_3_7.md, 'Upgrade requirements': etcd only supports "
    "upgrading one minor version at a time; v3.6/upgrades/upgrade_3_6.md: the running "
    "cluster must be v3.5 or greater"
)


def gate_for(from_minor: MinorVersion, to_minor: MinorVersion) -> UpgradeGate | None:
    for g in UPGRADE_GATES:
        if g.from_minor == from_minor and g.to_minor == to_minor:
            return g
    return None


def next_minor_gate(version: str) -> UpgradeGate | None:
    """The gate for upgrading a member of ``version`` to the next minor, if etcd names one."""
    m = minor_of(version)
    if m is None:
        return None
    for g in UPGRADE_GATES:
        if g.from_minor == m:
            return g
    return None


def one_step_problem(from_version: str, to_version: str) -> str | None:
    """None when ``from -> to`` is a patch change or exactly one minor up; else why not."""
    a, b = parse(from_version), parse(to_version)
    if a is None or b is None:
        return _("{v} is not an etcd version").format(v=from_version if a is None else to_version)
    if a[0] != b[0]:
        return _("etcd {a} to {b} changes the major version: not supported").format(
            a=from_version, b=to_version
        )
    if b[1] < a[1]:
        return _(
            "etcd {a} to {b} is a downgrade: use the downgrade procedure "
            "(etcdctl downgrade validate/enable, 3.6+), not an upgrade"
        ).format(a=from_version, b=to_version)
    if b[1] - a[1] > 1:
        return _(
            "etcd {a} to {b} skips a minor version: upgrade one minor at a time "
            "({a_minor} -> {next_minor} first)"
        ).format(
            a=from_version,
            b=to_version,
            a_minor=_fmt_minor((a[0], a[1])),
            next_minor=_fmt_minor((a[0], a[1] + 1)),
        )
    return None


@dataclass(frozen=True)
class GateProblem:
    member: str
    version: str
    kind: str  # "below-gate" | "skips-minor" | "downgrade" | "unknown-version"
    required: str  # the version the member must reach first ("" when not applicable)
    message: str
    source: str


def upgrade_gate_problems(member_versions: Mapping[str, str], target: str) -> list[GateProblem]:
    """Members that cannot take the upgrade to ``target`` yet, and what each must do first.

    Members already on the target's minor are fine. Members one minor below must be at
    the gate patch of :data:`UPGRADE_GATES`; members further below must go one minor at
    a time.
    """
    tgt = minor_of(target)
    out: list[GateProblem] = []
    for name, text in sorted(member_versions.items()):
        v = parse(text)
        if tgt is None or v is None:
            out.append(
                GateProblem(
                    name,
                    text,
                    "unknown-version",
                    "",
                    _("{member}: version {v!r} cannot be compared with {t!r}").format(
                        member=name, v=text, t=target
                    ),
                    "",
                )
            )
            continue
        mv = (v[0], v[1])
        if mv == tgt:
            continue
        why = one_step_problem(text, f"{tgt[0]}.{tgt[1]}.0")
        if why is not None:
            kind = "downgrade" if mv > tgt else "skips-minor"
            req = "" if kind == "downgrade" else _fmt_minor((v[0], v[1] + 1))
            out.append(
                GateProblem(
                    name,
                    text,
                    kind,
                    req,
                    f"{name}: {why}",
                    ONE_MINOR_AT_A_TIME_SOURCE,
                )
            )
            continue
        gate = gate_for(mv, tgt)
        if gate is not None and v[2] < gate.min_patch:
            out.append(
                GateProblem(
                    name,
                    text,
                    "below-gate",
                    gate.required,
                    _(
                        "{member} runs etcd {v}: every member must reach {req} or later "
                        "before the upgrade to {to}"
                    ).format(member=name, v=text, req=gate.required, to=_fmt_minor(tgt)),
                    gate.source,
                )
            )
    return out


# --- server flags ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagChange:
    old: str  # flag name without leading dashes
    new: str  # replacement flag name, or "" when it became a feature gate / has none
    feature_gate: str  # feature gate name, or ""
    deprecated_in: str  # "3.6"
    removed_in: str  # first release that refuses to start with it
    source: str
    note: str = ""

    def replacement(self, value: str | None = None) -> str:
        if self.feature_gate:
            return f"--feature-gates={self.feature_gate}={value or 'true'}"
        if self.new:
            return f"--{self.new}" + (f"={value}" if value is not None else "")
        return ""


_FLAG_SRC_36 = (
    f"{WEBSITE}/v3.6/upgrades/upgrade_3_6.md, 'Flags deprecated'; etcd-io/etcd v3.6.14 "
    "server/etcdmain/config.go deprecatedFlags and server/embed/config.go "
    "experimentalFlagMigrationMap"
)
_GATE_SRC_36 = (
    f"{WEBSITE}/v3.6/upgrades/upgrade_3_6.md, 'Equivalent flags of v3.5 feature gates'; "
    "etcd-io/etcd v3.6.14 server/features/etcd_features.go ExperimentalFlagToFeatureMap"
)
_REMOVED_37 = (
    f"{WEBSITE}/v3.7/upgrades/upgrade_3_7.md, 'Flags removed' (the v3.7 process will fail "
    f"to start); {CHANGELOG}-3.7.md v3.7.0-rc.0 'Breaking Changes'"
)


def _renamed(old: str, new: str) -> FlagChange:
    return FlagChange(old, new, "", "3.6", "3.7", f"{_FLAG_SRC_36}; {_REMOVED_37}")


def _gated(old: str, gate: str) -> FlagChange:
    return FlagChange(old, "", gate, "3.6", "3.7", f"{_GATE_SRC_36}; {_REMOVED_37}")


EXPERIMENTAL_FLAGS: tuple[FlagChange, ...] = (
    _renamed(
        "experimental-bootstrap-defrag-threshold-megabytes", "bootstrap-defrag-threshold-megabytes"
    ),
    _renamed("experimental-compaction-batch-limit", "compaction-batch-limit"),
    _renamed("experimental-compact-hash-check-time", "compact-hash-check-time"),
    _renamed("experimental-compaction-sleep-interval", "compaction-sleep-interval"),
    _renamed("experimental-corrupt-check-time", "corrupt-check-time"),
    _renamed("experimental-enable-distributed-tracing", "enable-distributed-tracing"),
    _renamed("experimental-distributed-tracing-address", "distributed-tracing-address"),
    _renamed("experimental-distributed-tracing-instance-id", "distributed-tracing-instance-id"),
    _renamed("experimental-distributed-tracing-sampling-rate", "distributed-tracing-sampling-rate"),
    _renamed("experimental-distributed-tracing-service-name", "distributed-tracing-service-name"),
    _renamed("experimental-downgrade-check-time", "downgrade-check-time"),
    _renamed("experimental-memory-mlock", "memory-mlock"),
    _renamed("experimental-peer-skip-client-san-verification", "peer-skip-client-san-verification"),
    _renamed("experimental-snapshot-catchup-entries", "snapshot-catchup-entries"),
    _renamed("experimental-warning-apply-duration", "warning-apply-duration"),
    _renamed("experimental-warning-unary-request-duration", "warning-unary-request-duration"),
    _renamed("experimental-watch-progress-notify-interval", "watch-progress-notify-interval"),
    _gated("experimental-compact-hash-check-enabled", "CompactHashCheck"),
    _gated("experimental-initial-corrupt-check", "InitialCorruptCheck"),
    _gated("experimental-enable-lease-checkpoint", "LeaseCheckpoint"),
    _gated("experimental-enable-lease-checkpoint-persist", "LeaseCheckpointPersist"),
    _gated("experimental-stop-grpc-service-on-defrag", "StopGRPCServiceOnDefrag"),
    _gated("experimental-txn-mode-write-with-shared-buffer", "TxnModeWriteWithSharedBuffer"),
    FlagChange(
        "experimental-max-learners",
        "max-learners",
        "",
        "3.6",
        "3.6",
        f"{WEBSITE}/v3.6/upgrades/upgrade_3_6.md, 'Flags deprecated' lists it; but it exists "
        "only in etcd-io/etcd v3.6.0-rc.0 server/embed/config.go: v3.6.0 and v3.6.14 register "
        "only --max-learners, and v3.4.23/v3.5.30 have no learner flag (membership/cluster.go "
        "maxLearners = 1)",
        note="only 3.6.0 pre-releases accepted it",
    ),
)

REMOVED_FLAGS: tuple[FlagChange, ...] = tuple(
    FlagChange(
        f,
        "",
        "",
        "3.5",
        "3.6",
        f"{WEBSITE}/v3.6/upgrades/upgrade_3_6.md, 'Flags removed'; {CHANGELOG}-3.6.md "
        "v3.6.0-rc.0 'Flags Removed'",
        note=note,
    )
    for f, note in (
        ("enable-v2", "clean the v2 store first: etcdutl check v2store (3.5.32+)"),
        ("experimental-enable-v2v3", ""),
        ("proxy", ""),
        ("proxy-failure-wait", ""),
        ("proxy-refresh-interval", ""),
        ("proxy-dial-timeout", ""),
        ("proxy-write-timeout", ""),
        ("proxy-read-timeout", ""),
    )
)

_ALL_FLAGS = {f.old: f for f in EXPERIMENTAL_FLAGS + REMOVED_FLAGS}


@dataclass(frozen=True)
class FlagProblem:
    flag: str  # as given
    level: str  # "refused" (the member will not start) | "deprecated" (warns, still starts)
    use_instead: str
    message: str
    source: str


def _split_flag(arg: str) -> tuple[str, str | None]:
    name, sep, value = arg.strip().lstrip("-").partition("=")
    name = name.strip().replace("_", "-").lower()
    if name.startswith("etcd-") and name[5:] in _ALL_FLAGS:  # ETCD_* environment names
        name = name[5:]
    return name, (value if sep else None)


def flag_problems(flags: Sequence[str], target_version: str) -> list[FlagProblem]:
    """Which of ``flags`` (``--name[=value]``, ``name``, or ETCD_NAME) ``target_version``
    refuses or deprecates, and what to use instead."""
    tv = parse(target_version)
    if tv is None:
        return []
    tm = (tv[0], tv[1])
    out: list[FlagProblem] = []
    for arg in flags:
        name, value = _split_flag(arg)
        row = _ALL_FLAGS.get(name)
        if row is None:
            continue
        instead = row.replacement(value)
        removed = minor_of(row.removed_in)
        deprecated = minor_of(row.deprecated_in)
        if removed is not None and tm >= removed:
            msg = _("etcd {v} does not start with --{flag}").format(v=target_version, flag=name)
            level = "refused"
        elif deprecated is not None and tm >= deprecated and row in EXPERIMENTAL_FLAGS:
            msg = _("--{flag} is deprecated in etcd {dep} and refused from {rem}").format(
                flag=name, dep=row.deprecated_in, rem=row.removed_in
            )
            level = "deprecated"
        else:
            continue
        if instead:
            msg += "; " + _("use {new}").format(new=instead)
        elif row.note:
            msg += "; " + row.note
        out.append(FlagProblem(arg, level, instead, msg, row.source))
    return out


# --- which tool does what on which version ---------------------------------------------------

_ETCDUTL_SRC = (
    f"{CHANGELOG}-3.5.md v3.5.0 'etcdctl v3': new tool etcdutl incorporated etcdctl snapshot "
    f"status|restore and defrag --data-dir; {CHANGELOG}-3.6.md v3.6.0-rc.0 'Deprecations': "
    "removed etcdctl snapshot status, snapshot restore and defrag --data-dir"
)


def _tool_for_offline(version: str) -> str:
    v = parse(version)
    if v is not None and v < (3, 5, 0):
        return "etcdctl"
    return "etcdutl"


def restore_tool(version: str) -> str:
    """The tool that restores a snapshot for etcd ``version``: etcdctl on 3.4, etcdutl from
    3.5 (etcdctl still has it, deprecated, on 3.5; gone on 3.6+)."""
    return _tool_for_offline(version)


def snapshot_status_tool(version: str) -> str:
    return _tool_for_offline(version)


def defrag_offline_tool(version: str) -> str:
    """``<tool> defrag --data-dir`` for a stopped member (online defrag is etcdctl on all)."""
    return _tool_for_offline(version)


def tool_name(tool: str) -> str:
    """``/usr/local/bin/etcdutl`` -> ``etcdutl``."""
    return PurePath(tool).name


def has_offline_snapshot_commands(tool: str, version: str) -> bool:
    """Whether ``tool`` of ``version`` has ``snapshot restore``/``snapshot status``."""
    v = parse(version)
    name = tool_name(tool)
    if v is None:
        return False
    if name == "etcdctl":
        return v < (3, 6, 0)
    if name == "etcdutl":
        return v >= (3, 5, 0)
    return False


def supports_bump_revision(tool: str, version: str) -> bool:
    """``snapshot restore --bump-revision --mark-compacted``.

    etcdctl 3.4.27+ (CHANGELOG-3.4.md v3.4.27), etcdutl and etcdctl 3.5.10+
    (CHANGELOG-3.5.md v3.5.10), etcdutl 3.6+ (CHANGELOG-3.6.md v3.6.0-rc.0); etcdctl
    3.6+ has no snapshot restore at all (see BUMP_REVISION_SOURCE).
    """
    v = parse(version)
    name = tool_name(tool)
    if v is None or not has_offline_snapshot_commands(tool, version):
        return False
    if name == "etcdctl" and (v[0], v[1]) == (3, 4):
        return v >= (3, 4, 27)
    return v >= (3, 5, 10)


BUMP_REVISION_SOURCE = (
    f"{CHANGELOG}-3.4.md v3.4.27 'etcdctl v3'; {CHANGELOG}-3.5.md v3.5.10 'etcdutl v3' and "
    "'etcdctl v3': optional --bump-revision and --mark-compacted for snapshot restore"
)


def offline_tool_problem(tool: str, tool_version: str, target_version: str | None) -> str | None:
    """Why ``tool`` cannot restore/read snapshots for ``target_version`` (None when it can
    or when nothing is known against it). An unknown tool version is judged by the target."""
    name = tool_name(tool)
    if parse(tool_version) is not None and not has_offline_snapshot_commands(tool, tool_version):
        return _(
            "{tool} {ver} has no 'snapshot restore'/'snapshot status' ({why}); use {good}"
        ).format(
            tool=name,
            ver=tool_version,
            why=_("removed from etcdctl in 3.6")
            if name == "etcdctl"
            else _("etcdutl exists from 3.5"),
            good=restore_tool(tool_version),
        )
    if target_version and name == "etcdctl":
        tv = parse(target_version)
        if tv is not None and tv >= (3, 6, 0):
            return _(
                "etcd {t} is restored with etcdutl; etcdctl 3.6+ has no snapshot restore"
            ).format(t=target_version)
    return None
