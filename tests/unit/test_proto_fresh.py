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
    # etcd 3.6 (api/etcdserverpb/rpc.proto at v3.6.14; docs/etcd-versions.md)
    assert fields["storageVersion"].number == 11
    assert fields["dbSizeQuota"].number == 12
    assert fields["downgradeInfo"].number == 13
    dg = rpc_pb2.DowngradeInfo.DESCRIPTOR.fields_by_name
    assert (dg["enabled"].number, dg["targetVersion"].number) == (1, 2)
    assert rpc_pb2.MemberAddRequest.DESCRIPTOR.fields_by_name["isLearner"].number == 2
    assert rpc_pb2.RangeRequest.DESCRIPTOR.fields_by_name["count_only"].number == 9
    assert rpc_pb2.HashKVResponse.DESCRIPTOR.fields_by_name["compact_revision"].number == 3


def test_36_status_fields_decode_and_35_bytes_leave_them_empty() -> None:
    from etcdtui.services.etcdapi import rpc_pb2

    wire = rpc_pb2.StatusResponse(
        version="3.6.14",
        storageVersion="3.6.0",
        dbSizeQuota=8 << 30,
        downgradeInfo=rpc_pb2.DowngradeInfo(enabled=True, targetVersion="3.5.0"),
    ).SerializeToString()
    got = rpc_pb2.StatusResponse.FromString(wire)
    assert (got.storageVersion, got.dbSizeQuota) == ("3.6.0", 8 << 30)
    assert (got.downgradeInfo.enabled, got.downgradeInfo.targetVersion) == (True, "3.5.0")
    # a 3.5 server sends none of fields 11-13 (v3.5.30 rpc.proto has no such fields)
    old = rpc_pb2.StatusResponse.FromString(
        rpc_pb2.StatusResponse(version="3.5.30", dbSize=1).SerializeToString()
    )
    assert (old.storageVersion, old.dbSizeQuota, old.downgradeInfo.enabled) == ("", 0, False)
