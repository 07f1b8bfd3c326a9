"""The drills' keyspace is what kube-apiserver would write: our own Kubernetes decoder
reads every object back, at the storage path its resource lives under."""

from __future__ import annotations

from etcdtui.ops.drills import keyspace
from etcdtui.services.snapshots.k8s import decode_protobuf


def test_every_object_decodes_at_its_storage_path() -> None:
    items = keyspace.objects("base")
    kinds = {"namespaces": "Namespace", "pods": "Pod", "configmaps": "ConfigMap"}
    kinds["secrets"] = "Secret"
    assert len(items) == len({k for k, _v in items})  # no key written twice
    for key, value in items:
        parts = key.split("/")
        assert parts[:2] == ["", "registry"]
        obj = decode_protobuf(value)
        assert obj["kind"] == kinds[parts[2]]
        assert obj["name"] == parts[-1]
        if parts[2] != "namespaces":
            assert obj["namespace"] == parts[3]


def test_generations_differ_and_the_manifest_is_stable() -> None:
    base, late = keyspace.objects("base"), keyspace.objects("late")
    assert not {k for k, _ in base} & {k for k, _ in late}
    assert keyspace.manifest(base) == keyspace.manifest(keyspace.objects("base"))
