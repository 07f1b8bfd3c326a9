"""The local sandbox cluster: the sandbox itself, the host a plan's steps act on when
the plan targets it, and the note shown when its etcd binary is a fallback.
Re-exported: the faces use the sandbox's own types (no orchestration here)."""

from __future__ import annotations

from etcdtui.services.binaries import fallback_note as fallback_note
from etcdtui.services.procedures.sandbox_host import SandboxHost as SandboxHost
from etcdtui.services.procedures.sandbox_host import sandbox_for as sandbox_for
from etcdtui.services.sandbox import Sandbox as Sandbox

__all__ = ["Sandbox", "SandboxHost", "fallback_note", "sandbox_for"]
