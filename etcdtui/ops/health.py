"""What the status and health views judge: the advisories, the consistency check
(HashKV on every member), the members' metrics, and the names of members added but not
started yet. The console reads them here, not in the service layer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from etcdtui.cluster_data import ConnectionSettings, MemberList
from etcdtui.services import advisories as advisories
from etcdtui.services import metrics as metrics
from etcdtui.services.advisories import DEFAULT_QUOTA_BYTES as DEFAULT_QUOTA_BYTES
from etcdtui.services.advisories import Advisory as Advisory
from etcdtui.services.advisories import SnapshotHint as SnapshotHint
from etcdtui.services.etcdapi.endpoint import split_endpoint as split_endpoint
from etcdtui.services.metrics import MemberMetrics as MemberMetrics
from etcdtui.services.metrics_history import MetricsHistory as MetricsHistory

if TYPE_CHECKING:
    from etcdtui.services.consistency import ConsistencyReport as ConsistencyReport
    from etcdtui.services.consistency import HashSource

__all__ = [
    "DEFAULT_QUOTA_BYTES",
    "Advisory",
    "MemberMetrics",
    "MetricsHistory",
    "SnapshotHint",
    "added_member_names",
    "advisories",
    "check_consistency",
    "check_consistency_on",
    "describe_consistency",
    "metrics",
    "split_endpoint",
]


def added_member_names(members: MemberList) -> dict[int, str]:
    """Names of unstarted members from the store; reads the file only when one exists."""
    if all(m.started for m in members.members):
        return {}
    from etcdtui.services import added_names

    return added_names.unstarted_names(members)


async def check_consistency(
    settings: ConnectionSettings, revision: int | None = None
) -> ConsistencyReport:
    """`check consistency`: HashKV of every member at one revision, on a connection of
    its own (the console checks on the connection it holds)."""
    from etcdtui.ops.cluster import connect
    from etcdtui.services import consistency

    async with connect(settings) as svc:
        return await consistency.check(svc, revision)


# The console's sentinel checks minutes after start-up, and a report is described only
# once one exists: the consistency module is loaded then, not before the first frame.


async def check_consistency_on(
    svc: HashSource, revision: int | None = None, *, with_alarms: bool = True
) -> ConsistencyReport:
    """HashKV on every member through a connection the caller holds (the console's)."""
    from etcdtui.services import consistency

    return await consistency.check(svc, revision, with_alarms=with_alarms)


def describe_consistency(report: ConsistencyReport) -> str:
    """One line for the operator."""
    from etcdtui.services.consistency import describe

    return describe(report)
