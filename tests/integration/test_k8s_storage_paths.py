"""The snapshot browser and diff count Kubernetes resources by their real storage paths
(kubernetes/kubernetes test/integration/etcd/data.go), tested with real protobuf objects
from kubernetes/api testdata/ written to real etcd and read back from a real snapshot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.snapshots.diff import diff
from etcdtui.services.snapshots.k8s import inspect, objects
from etcdtui.ui.snapshots.pane_data import object_rows
from tests.support.helpers import etcdctl

pytestmark = pytest.mark.etcd

FIXTURES = Path(__file__).parent.parent / "fixtures" / "k8s"
NS, NAME = "namespaceValue", "nameValue"
# storage path -> fixture (the paths kube-apiserver uses; see data.go)
PLACED = {
    f"/registry/minions/{NAME}": "core.v1.Node.pb",
    f"/registry/services/specs/{NS}/{NAME}": "core.v1.Service.pb",
    f"/registry/services/endpoints/{NS}/{NAME}": "core.v1.Endpoints.pb",
    f"/registry/ingress/{NS}/{NAME}": "networking.k8s.io.v1.Ingress.pb",
    f"/registry/secrets/{NS}/{NAME}": "core.v1.Secret.pb",
}


def put(sb: Sandbox, items: dict[str, bytes]) -> None:
    async def go() -> None:
        async with ClusterService(sb.settings()) as svc:
            for k, v in items.items():
                await svc.put(k.encode(), v)

    asyncio.run(go())


def save(sb: Sandbox, path: Path) -> None:
    etcdctl(sb, "snapshot", "save", str(path), endpoints=[sb.settings().endpoints[0]])


def test_snapshot_counts_resources_by_storage_path(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = fresh_cluster(1)
    put(sb, {k: (FIXTURES / f).read_bytes() for k, f in PLACED.items()})
    a = tmp_path / "a.db"
    save(sb, a)

    res = inspect(str(a))["resources"]
    assert {k: v["count"] for k, v in res.items()} == {
        "nodes": 1,
        "services": 1,
        "endpoints": 1,
        "ingresses": 1,
        "secrets": 1,
    }
    assert res["endpoints"]["namespaces"] == {NS: 1}
    assert res["nodes"]["namespaces"] == {}  # cluster-scoped

    by_key = {o["key"]: o for o in objects(str(a))}
    node = by_key[f"/registry/minions/{NAME}"]
    assert (node["resource"], node["kind"], node["name"]) == ("nodes", "Node", NAME)
    assert by_key[f"/registry/services/endpoints/{NS}/{NAME}"]["kind"] == "Endpoints"
    assert by_key[f"/registry/ingress/{NS}/{NAME}"]["kind"] == "Ingress"

    # A Secret: its type and labels, never its data.
    secret = by_key[f"/registry/secrets/{NS}/{NAME}"]
    assert secret["type"] == "typeValue"
    assert secret["labels"] == {"labelsKey": "labelsValue"}
    shown = json.dumps(secret) + json.dumps(object_rows(secret))
    assert "typeValue" in shown and "labelsKey=labelsValue" in shown
    for leaked in ("dataKey", "stringData", "stringDataValue", "annotationsValue"):
        assert leaked not in shown

    # The diff counts by the same paths: a node added, the endpoints changed, the
    # ingress removed; the Service next to the endpoints is untouched.
    put(
        sb,
        {
            "/registry/minions/node-two": (FIXTURES / "core.v1.Node.pb").read_bytes(),
            f"/registry/services/endpoints/{NS}/{NAME}": (
                FIXTURES / "core.v1.Endpoints.pb"
            ).read_bytes(),
        },
    )
    etcdctl(sb, "del", f"/registry/ingress/{NS}/{NAME}")
    b = tmp_path / "b.db"
    save(sb, b)
    by_res = diff(str(a), str(b), limit=0)["by_resource"]
    assert by_res["nodes"]["added"] == 1
    assert by_res["endpoints"]["changed"] == 1
    assert by_res["ingresses"]["removed"] == 1
    assert not {"minions", "ingress", "services", "secrets"} & set(by_res)
