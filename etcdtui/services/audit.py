"""Append-only audit log of every mutating action (JSON Lines).

One line per action: time, local user, SSH origin, context, cluster ID, action,
parameters, result or error, and the member list before and after. Lines are
written with O_APPEND and fsynced, so a crash never leaves half a record.
Parameters are passed through :func:`scrub` so no secret can reach the file.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from etcdtui.cluster_data import MemberList, hex_id
from etcdtui.errors import EtcdtuiError
from etcdtui.paths import ensure_private_dir, state_dir
from etcdtui.safeio import read_tail

_SECRET_WORDS = ("password", "passphrase", "token", "key_material", "private", "secret")

READ_LIMIT = 16 << 20  # bytes read from the end of the log when listing records


def default_audit_path() -> Path:
    return state_dir() / "audit.jsonl"


def scrub(params: Mapping[str, Any]) -> dict[str, Any]:
    """Replace any value whose name suggests a secret."""
    clean: dict[str, Any] = {}
    for k, v in params.items():
        if any(w in k.lower() for w in _SECRET_WORDS):
            clean[k] = "<redacted>"
        elif isinstance(v, Mapping):
            clean[k] = scrub(v)
        else:
            clean[k] = v
    return clean


def _origin() -> str | None:
    ssh = os.environ.get("SSH_CLIENT") or os.environ.get("SSH_CONNECTION")
    return ssh.split()[0] if ssh else None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


class AuditLog:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else default_audit_path()

    def append(
        self,
        *,
        action: str,
        params: Mapping[str, Any],
        context: str | None = None,
        cluster_id: int | None = None,
        result: Any = None,
        error: EtcdtuiError | BaseException | None = None,
        members_before: MemberList | None = None,
        members_after: MemberList | None = None,
        clock: dt.datetime | None = None,
    ) -> dict[str, Any]:
        now = clock or dt.datetime.now(dt.UTC)
        record: dict[str, Any] = {
            "time": now.isoformat(timespec="milliseconds"),
            "user": _user(),
            "ssh_client": _origin(),
            "context": context,
            "cluster_id": hex_id(cluster_id) if cluster_id else None,
            "action": action,
            "params": scrub(params),
            "ok": error is None,
            "result": result,
            "error": _error_dict(error),
            "members_before": _members(members_before),
            "members_after": _members(members_after),
        }
        line = json.dumps(record, default=str, sort_keys=False) + "\n"
        ensure_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return record

    def read(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Records, oldest first (the last ``limit`` if given). Bad lines are skipped."""
        try:  # the newest 16 MiB at most: an old, long log never fills memory
            data = read_tail(self.path, READ_LIMIT)
        except FileNotFoundError:
            return []
        lines = data.decode("utf-8", errors="replace").splitlines()
        if len(data) == READ_LIMIT and lines:
            lines = lines[1:]  # the first line may be cut
        if limit is not None:
            lines = lines[-limit:]
        out: list[dict[str, Any]] = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


def _error_dict(error: EtcdtuiError | BaseException | None) -> dict[str, Any] | None:
    if error is None:
        return None
    if isinstance(error, EtcdtuiError):
        return {"code": error.code, "title": error.title, "cause": error.cause}
    return {"code": type(error).__name__, "title": type(error).__name__, "cause": str(error)}


def _members(members: MemberList | None) -> list[dict[str, object]] | None:
    if members is None:
        return None
    return [m.as_dict() for m in members.members]
