"""The committed gRPC code must be exactly what scripts/gen_proto.py generates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = [
    "kv_pb2.py",
    "kv_pb2.pyi",
    "kv_pb2_grpc.py",
    "rpc_pb2.py",
    "rpc_pb2.pyi",
    "rpc_pb2_grpc.py",
]


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_proto.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    stale = []
    for name in GENERATED:
        fresh = (tmp_path / "etcdtui/services/etcdapi" / name).read_text()
        committed = (ROOT / "etcdtui/services/etcdapi" / name).read_text()
        if fresh != committed:
            stale.append(name)
    assert not stale, f"stale generated code, run scripts/gen_proto.py: {stale}"


def test_wire_names_match_etcd() -> None:
    """Service paths and field numbers that etcd's server dispatches on."""
    from etcdtui.services.etcdapi import rpc_pb2

    services = {s.full_name for s in rpc_pb2.DESCRIPTOR.services_by_name.values()}
    assert services == {
        "etcdserverpb.KV",
        "etcdserverpb.Cluster",
        "etcdserverpb.Maintenance",
        "etcdserverpb.Auth",
    }
    fields = rpc_pb2.StatusResponse.DESCRIPTOR.fields_by_name
    assert fields["dbSizeInUse"].number == 9
    assert fields["isLearner"].number == 10
    assert rpc_pb2.MemberAddRequest.DESCRIPTOR.fields_by_name["isLearner"].number == 2
    assert rpc_pb2.RangeRequest.DESCRIPTOR.fields_by_name["count_only"].number == 9
    assert rpc_pb2.HashKVResponse.DESCRIPTOR.fields_by_name["compact_revision"].number == 3
