"""The gateway transport's readers: etcd's JSON encoding (int64 as strings, defaults left
out) becomes the same values the gRPC stubs give, and an answer is read only up to
MAX_ANSWER_BYTES. (The same reads against real etcd: tests/integration/
test_status_gateway.py.)"""

from __future__ import annotations

import socket
import threading

import pytest

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.services.etcdapi import gateway


def test_int64_strings_and_left_out_defaults() -> None:
    answer = {
        "header": {"cluster_id": "14483765566807325048", "member_id": "9541675828658236620"},
        "version": "3.5.30",
        "dbSize": "20480",
        "leader": "17117796568576747789",
        "raftTerm": "2",
    }
    st = gateway._status(answer)
    assert st.header.cluster_id == 14483765566807325048
    assert st.leader == 17117796568576747789 and st.raftTerm == 2 and st.dbSize == 20480
    assert st.raftIndex == 0 and st.isLearner is False and st.errors == []
    assert st.downgradeInfo.enabled is False and st.storageVersion == ""
    members = gateway._member_list(
        {"members": [{"ID": "8112905042158939227", "name": "m3", "isLearner": True}]}
    )
    m = members.members[0]
    assert (m.ID, m.name, m.isLearner, m.peerURLs) == (8112905042158939227, "m3", True, [])
    alarms = gateway._alarm_list({"alarms": [{"memberID": "5", "alarm": "NOSPACE"}]})
    assert (alarms.alarms[0].memberID, alarms.alarms[0].alarm) == (5, 1)
    with pytest.raises(ValueError):
        gateway._status({"dbSize": "many"})


def test_an_endless_answer_is_cut_at_the_limit() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    sent = [0]
    total = gateway.MAX_ANSWER_BYTES * 4

    def serve() -> None:
        conn, _addr = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n")
            block = b"[" * 65536
            try:
                while sent[0] < total:
                    conn.sendall(block)
                    sent[0] += len(block)
            except OSError:
                pass  # the client hung up: what this test wants

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    settings = ConnectionSettings(
        endpoints=(f"http://127.0.0.1:{port}",), insecure=True, timeout=3.0
    )
    pool = gateway.GatewayPool(settings)

    def ask() -> None:
        pool.client(settings.endpoints[0]).status()

    try:
        with pytest.raises(errors.EtcdtuiError):
            ask()
    finally:
        server.join(timeout=10)
        listener.close()
    assert not server.is_alive()
    assert sent[0] < total  # the client stopped reading and closed
