"""Membership flags: the ``--initial-cluster`` value a member starts with.

Pure, no I/O. etcd reads ``--initial-cluster`` as ``name=peerURL`` pairs; a member with
several peer URLs is named once per URL (``m1=https://a:2380,m1=https://b:2380``). A
member joining a running cluster must list every member with every peer URL it has,
because etcd compares the list, URL by URL, with the running cluster's membership and
refuses to start when they differ ("member count is unequal"). ``etcdctl member add``
prints its ETCD_INITIAL_CLUSTER the same way: every member, every peer URL, the new
member under the name it is given, a member that has never started under its empty name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from etcdtui.cluster_data import Member

Entry = tuple[str, str | Sequence[str]]


def initial_cluster(entries: Iterable[Entry]) -> str:
    """``name=url`` for every peer URL of every entry, in order, joined by commas."""
    return ",".join(
        f"{name}={url}"
        for name, urls in entries
        for url in ((urls,) if isinstance(urls, str) else urls)
    )


def member_entries(
    members: Iterable[Member], names: Mapping[int, str] | None = None
) -> list[tuple[str, tuple[str, ...]]]:
    """(name, peer URLs) of each member with a peer URL. ``names`` names members by ID
    that have no name yet (the one just added)."""
    given = names or {}
    return [(m.name or given.get(m.id, ""), m.peer_urls) for m in members if m.peer_urls]


def joining_cluster(members: Iterable[Member], name: str, peer_urls: str | Sequence[str]) -> str:
    """The ``--initial-cluster`` of a member about to be added to ``members`` (the list
    before the add) as ``name`` with ``peer_urls``."""
    return initial_cluster([*member_entries(members), (name, peer_urls)])
