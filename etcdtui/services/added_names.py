"""The names members were added with, for members that have not started yet.

etcd learns a member's name only when its process starts: until then the member list
shows an ID and peer URLs, nothing else. etcdtui remembers the name it was given when
it added the member, per cluster, so the console and the CLI can address that member
by name (``:remove m4``) and the advisories can say which one never started.

Stored in ``<state dir>/added-members.json`` (0600, written atomically); bounded to the
newest :data:`LIMIT` entries per cluster.
"""

from __future__ import annotations

import json
from pathlib import Path

from etcdtui.cluster_data import MemberList, hex_id, parse_hex_id
from etcdtui.paths import ensure_private_dir, state_dir
from etcdtui.safeio import read_limited, write_private

LIMIT = 50


def store_path() -> Path:
    return state_dir() / "added-members.json"


def _load(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(read_limited(path).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(c): {str(k): str(v) for k, v in m.items()}
        for c, m in data.items()
        if isinstance(m, dict)
    }


def remember(cluster_id: int, member_id: int, name: str, path: Path | None = None) -> None:
    """Record that ``member_id`` of ``cluster_id`` was added as ``name``."""
    if not name or not cluster_id or not member_id:
        return
    path = path or store_path()
    data = _load(path)
    cluster = data.setdefault(hex_id(cluster_id), {})
    cluster.pop(hex_id(member_id), None)
    cluster[hex_id(member_id)] = name
    while len(cluster) > LIMIT:
        cluster.pop(next(iter(cluster)))
    ensure_private_dir(path.parent)
    write_private(path, json.dumps(data, indent=1))


def names(cluster_id: int, path: Path | None = None) -> dict[int, str]:
    """member ID -> the name it was added with, for ``cluster_id``."""
    out: dict[int, str] = {}
    for k, v in _load(path or store_path()).get(hex_id(cluster_id), {}).items():
        try:
            out[parse_hex_id(k)] = v
        except ValueError:
            continue
    return out


def unstarted_names(members: MemberList, path: Path | None = None) -> dict[int, str]:
    """Added names of the members that have not started (no name in etcd yet)."""
    if all(m.started for m in members.members):
        return {}
    known = names(members.cluster_id, path)
    return {m.id: known[m.id] for m in members.members if not m.started and m.id in known}


def find(members: MemberList, ref: str, path: Path | None = None) -> int | None:
    """The ID of the unstarted member added as ``ref``, if exactly one matches."""
    hits = [i for i, n in unstarted_names(members, path).items() if n == ref]
    return hits[0] if len(hits) == 1 else None
