"""The audit log every mutating action is written to (both faces share one file)."""

from __future__ import annotations

from etcdtui.services.audit import AuditLog as AuditLog

__all__ = ["AuditLog"]
