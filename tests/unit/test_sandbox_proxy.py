"""The fault proxy's rules, and how it tells which process opened a connection."""

from __future__ import annotations

import os
import socket

import pytest

from etcdtui import errors
from etcdtui.services.sandbox_faults import parse_mode
from etcdtui.services.sandbox_proxy import delay_of, mode_for, owner_of, socket_inode
from etcdtui.services.sandbox_state import free_ports


def _p(member: str, mode: str, frm: str | None = None) -> dict[str, object]:
    return {"kind": "partition", "member": member, "from": frm, "mode": mode}


def test_whole_partition_cuts_both_directions() -> None:
    faults = [_p("m2", "drop")]
    assert mode_for(faults, "m1", "m2") == "drop"  # others reaching m2
    assert mode_for(faults, "m2", "m3") == "drop"  # m2 reaching others
    assert mode_for(faults, None, "m2") == "drop"  # unknown source, m2's own port
    assert mode_for(faults, "m1", "m3") == "pass"  # the others still talk


def test_from_cuts_one_direction_only() -> None:
    faults = [_p("m2", "blackhole", frm="m1")]
    assert mode_for(faults, "m1", "m2") == "blackhole"
    assert mode_for(faults, "m2", "m1") == "pass"
    assert mode_for(faults, "m3", "m2") == "pass"
    assert mode_for(faults, None, "m2") == "pass"
    assert mode_for([{"kind": "starve", "member": "m2", "from": None}], "m1", "m2") == "pass"


def test_modes_parse_and_refuse() -> None:
    assert parse_mode("drop") == "drop"
    assert parse_mode(" Blackhole ") == "blackhole"
    assert parse_mode("delay=250") == "delay=250"
    assert delay_of("delay=250") == 0.25 and delay_of("drop") == 0.0
    for bad in ("", "delay", "delay=0", "delay=-5", "delay=999999", "slow", "delay=1e3"):
        with pytest.raises(errors.UsageError) as e:
            parse_mode(bad)
        assert "--mode" in e.value.cause


def test_connection_source_is_found_through_proc() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            conn, peer = server.accept()
            with conn:
                inode = socket_inode(peer[1], port)
                assert inode is not None
                assert owner_of(inode, {"other": 1, "me": os.getpid()}) == "me"
                assert owner_of(inode, {"other": 1}) is None
                assert client.getsockname()[1] == peer[1]


def test_free_ports_are_distinct_and_avoid_the_taken() -> None:
    ports = free_ports(12)
    assert len(set(ports)) == 12
    again = free_ports(6, avoid=ports)
    assert not set(again) & set(ports)
