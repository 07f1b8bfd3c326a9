"""The procedures' inputs as the CLI reads them: member lists for scale and restore, the
cluster facts a plan is built from, and the upgrade request and its plan.
Re-exported: the CLI parses its flags with these service functions as they are."""

from __future__ import annotations

from etcdtui.services.procedures.building_blocks import gather as gather
from etcdtui.services.procedures.restore import parse_members as parse_members
from etcdtui.services.procedures.scale import parse_new_members as parse_new_members
from etcdtui.services.procedures.upgrade import UpgradeRequest as UpgradeRequest
from etcdtui.services.procedures.upgrade import build_upgrade_plan as build_upgrade_plan
from etcdtui.services.procedures.upgrade import read_flags as read_flags

__all__ = [
    "UpgradeRequest",
    "build_upgrade_plan",
    "gather",
    "parse_members",
    "parse_new_members",
    "read_flags",
]
