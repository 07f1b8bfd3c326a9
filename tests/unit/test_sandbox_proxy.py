"""The fault proxy's rules, and how it tells which process opened a connection."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from pathlib import Path

import pytest

from etcdtui import errors
from etcdtui.services.sandbox_faults import parse_mode
from etcdtui.services.sandbox_proxy import Proxy, delay_of, mode_for, owner_of, socket_inode
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


def _write_state(
    directory: Path, members: list[dict[str, object]], faults: list[dict[str, object]]
) -> None:
    (directory / "sandbox.json").write_text(json.dumps({"members": members, "faults": faults}))


async def _closed_by_proxy(reader: asyncio.StreamReader, within: float = 5.0) -> bool:
    """True once the proxy closed the connection (EOF), False if it is still open."""
    try:
        return await asyncio.wait_for(reader.read(1), within) == b""
    except TimeoutError:
        return False


@pytest.mark.parametrize("pid_recorded", ["after the connection", "before the proxy's sync"])
async def test_a_member_that_dials_before_its_pid_is_recorded_stays_partitioned(
    tmp_path: Path, pid_recorded: str
) -> None:
    # CI: a partitioned member, restarted, dialled its peers before the sandbox recorded its
    # new pid; the proxy saw an unknown source, relayed, and the partition was gone for good
    # (the drill "partitioned-member" found the member healthy).
    peer = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    peer_port = peer.sockets[0].getsockname()[1]
    proxy_port = free_ports(1, avoid=[peer_port])[0]
    m1 = {"name": "m1", "proxy_port": None, "peer_port": 1, "pid": None}
    m2 = {"name": "m2", "proxy_port": proxy_port, "peer_port": peer_port, "pid": None}
    cut_m1 = [_p("m1", "drop")]
    _write_state(tmp_path, [m1, m2], cut_m1)
    proxy = Proxy(tmp_path)
    await proxy.sync()  # listens on m2's proxy port; m1 (this process) has no pid yet
    writer: asyncio.StreamWriter | None = None
    try:
        if pid_recorded == "before the proxy's sync":
            _write_state(tmp_path, [{**m1, "pid": os.getpid()}, m2], cut_m1)
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port)
        if pid_recorded == "after the connection":
            assert not await _closed_by_proxy(reader, within=0.3)  # unknown source: relayed
            _write_state(tmp_path, [{**m1, "pid": os.getpid()}, m2], cut_m1)
            proxy.force = True
            await proxy.sync()
        assert await _closed_by_proxy(reader), "m1's connection outlived its partition"
    finally:
        if writer is not None:
            writer.close()
        for conn in list(proxy.conns):
            conn.close()
        for server in (*proxy.servers.values(), peer):
            server.close()
