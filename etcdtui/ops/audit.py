"""The audit log every mutating action is written to (both faces share one file).
Re-exported: both faces append to and read the one log as the service writes it."""

from __future__ import annotations

from etcdtui.services.audit import AuditLog as AuditLog

__all__ = ["AuditLog"]
