"""Maintenance of a live cluster: defragmentation, compaction and clearing a NOSPACE
alarm, with the notes the faces show before the operator confirms.
Re-exported: :class:`Maintenance` is already the use case (quorum re-checked right
before each mutation, audited through the connection), used by both faces."""

from __future__ import annotations

from etcdtui.services.defrag_rules import compile_rule as compile_rule
from etcdtui.services.maintenance import DefragAborted as DefragAborted
from etcdtui.services.maintenance import Maintenance as Maintenance
from etcdtui.services.maintenance import nospace_commands as nospace_commands
from etcdtui.services.maintenance import quota_note as quota_note

__all__ = ["DefragAborted", "Maintenance", "compile_rule", "nospace_commands", "quota_note"]
