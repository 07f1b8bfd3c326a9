"""Kubernetes decoding and inspection, on values and keyspaces built by the test.

The builders (a protobuf encoder for Kubernetes envelopes, an etcd-like keyspace) live in
tests/support/k8s_builders.py; the integration tests use them too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etcdtui.services.snapshots import k8s, wire
from etcdtui.services.snapshots.bolt import BoltDB
from etcdtui.services.snapshots.diff import diff_entries, snapshot_entries, value_hash
from etcdtui.services.snapshots.mvcc import LiveKey, index_keyspace
from tests.support.k8s_builders import OPS, SECRET_MARK, etcd_like, k8s_object


def test_resource_and_namespace_from_the_key() -> None:
    assert k8s.resource_of(b"/registry/pods/ns1/p") == ("pods", "ns1")
    assert k8s.resource_of(b"/registry/minions/node-1") == ("nodes", None)
    assert k8s.resource_of(b"/registry/clusterroles/admin") == ("clusterroles", None)
    assert k8s.resource_of(b"/registry/cert-manager.io/certificates/ns/x") == (
        "cert-manager.io/certificates",
        "ns",
    )
    assert k8s.resource_of(b"/registry/apiregistration.k8s.io/apiservices/v1.apps") == (
        "apiregistration.k8s.io/apiservices",
        None,
    )
    assert k8s.resource_of(b"/registry/services/specs/ns/svc") == ("services", "ns")
    assert k8s.resource_of(b"/other/thing") is None


@pytest.mark.parametrize(
    ("key", "want"),
    [
        # the historical and group-prefixed paths of data.go's storage table
        (b"/registry/minions/node1", ("nodes", None)),
        (b"/registry/services/specs/ns/service1", ("services", "ns")),
        (b"/registry/services/endpoints/ns/ep1name", ("endpoints", "ns")),
        (b"/registry/controllers/ns/rc1", ("replicationcontrollers", "ns")),
        (b"/registry/ingress/ns/ingress3", ("ingresses", "ns")),
        (b"/registry/clustertrustbundles/example.com:signer:abc", ("clustertrustbundles", None)),
        (b"/registry/ipaddresses/192.168.2.3", ("ipaddresses", None)),
        (b"/registry/storageversions/sv1.test", ("storageversions", None)),
        (b"/registry/podcertificaterequests/ns/req-1", ("podcertificaterequests", "ns")),
        (
            b"/registry/apiextensions.k8s.io/customresourcedefinitions/foos.cr.bar.com",
            ("apiextensions.k8s.io/customresourcedefinitions", None),
        ),
        (b"/registry/cr.bar.com/foos/ns/cr1foo", ("cr.bar.com/foos", "ns")),
        (b"/registry/custom.fancy.com/pants/cr2pant", ("custom.fancy.com/pants", None)),
        (b"/registry/events/ns/event3", ("events", "ns")),
    ],
)
def test_storage_paths_from_data_go(key: bytes, want: tuple[str, str | None]) -> None:
    assert k8s.resource_of(key) == want


def test_secret_from_kubernetes_testdata_shows_type_and_labels_never_data() -> None:
    """tests/fixtures/k8s/core.v1.Secret.pb is kubernetes/api testdata/HEAD, unchanged."""
    raw = (Path(__file__).parent.parent / "fixtures" / "k8s" / "core.v1.Secret.pb").read_bytes()
    kv = LiveKey(b"/registry/secrets/namespaceValue/nameValue", 3, 5, 1, 0, raw)
    info = k8s.describe(kv)
    assert info["type"] == "typeValue"
    assert info["labels"] == {"labelsKey": "labelsValue"}
    assert info["encryption"] == "plaintext"
    shown = json.dumps(info)
    assert "dataKey" not in shown and "stringDataValue" not in shown


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (b"k8s\x00\x0a\x00", "plaintext"),
        (b'{"kind":"Secret"}', "plaintext"),
        (b"k8s:enc:aescbc:v1:k:xx", "aescbc"),
        (b"k8s:enc:aesgcm:v1:k:xx", "aesgcm"),
        (b"k8s:enc:secretbox:v1:k:xx", "secretbox"),
        (b"k8s:enc:kms:v1:p:xx", "kms"),
        (b"k8s:enc:kms:v2:p:xx", "kms"),
        (b"k8s:enc:rot13:v1:k:xx", "unknown"),
        (b"\x01\x02", "unknown"),
        (b"", "unknown"),
    ],
)
def test_secret_encryption_state(value: bytes, state: str) -> None:
    assert k8s.encryption_state(value) == state


def test_protobuf_envelope_metadata() -> None:
    value = k8s_object("apps/v1", "Deployment", "web", "prod", labels={"app": "web", "tier": "fe"})
    meta = k8s.decode_protobuf(value)
    assert meta == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
        "namespace": "prod",
        "uid": "uid-web",
        "creationTimestamp": "2023-11-14T22:13:20.500000Z",
        "labels": {"app": "web", "tier": "fe"},
    }


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_wire_decoder_only_raises_wire_error(data: bytes) -> None:
    """Any bytes after the magic: a WireError that says what is wrong (any other exception
    fails the test), or the metadata fields, each of its type."""
    try:
        meta = k8s.decode_protobuf(b"k8s\x00" + data)
    except wire.WireError as exc:
        assert type(exc) is wire.WireError and str(exc).strip()
        return
    text_fields = {"apiVersion", "kind", "contentType", "name", "namespace", "generateName"}
    assert set(meta) <= text_fields | {"uid", "creationTimestamp", "labels"}
    for key in text_fields | {"uid", "creationTimestamp"}:
        assert isinstance(meta.get(key, ""), str) and meta.get(key) != ""
    labels = meta.get("labels", {})
    assert isinstance(labels, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())


def test_describe_never_returns_secret_content() -> None:
    kv = LiveKey(
        b"/registry/secrets/ns/s",
        1,
        2,
        1,
        0,
        k8s_object("v1", "Secret", "s", "ns", labels={"x": "y"}, payload=SECRET_MARK),
    )
    info = k8s.describe(kv, full=True)
    # The key, size and encryption, and what names the Secret: never its data.
    assert set(info) == {"key", "size", "encryption", "resource", "namespace"} | {
        "kind",
        "name",
        "labels",
    }
    assert info["labels"] == {"x": "y"}
    assert info["encryption"] == "plaintext"
    assert SECRET_MARK.decode() not in json.dumps(info)


def test_inspect_counts_on_a_built_keyspace(tmp_path: Path) -> None:
    path = tmp_path / "snap"
    path.write_bytes(etcd_like(OPS, leases=3))
    report = k8s.inspect(str(path))
    assert report["revision"] == len(OPS) + 1
    assert report["keys"] == {"live": 15, "revisions": len(OPS), "deleted": 1}
    res = report["resources"]
    assert res["pods"]["count"] == 3
    assert res["pods"]["namespaces"] == {"default": 2, "kube-system": 1}
    assert res["nodes"] == {"count": 1, "bytes": len(OPS[6][2]), "namespaces": {}}
    assert res["secrets"]["count"] == 8
    assert res["secrets"]["namespaces"] == {"default": 3, "prod": 5}
    assert res["cert-manager.io/certificates"]["namespaces"] == {"default": 1}
    assert res["apiregistration.k8s.io/apiservices"]["count"] == 1
    assert report["other"] == {"count": 1, "bytes": 5000}
    assert report["secrets_encryption"] == {
        "plaintext": 2,
        "aescbc": 1,
        "aesgcm": 1,
        "secretbox": 1,
        "kms": 2,
        "unknown": 1,
    }
    assert report["leases"] == 3
    assert report["largest"][0] == {"key": "/unrelated", "size": 5000}
    sizes = [e["size"] for e in report["largest"]]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) == 15
    assert report["members"][0]["name"] == "m1"
    assert report["cluster_version"] == "3.5.0"
    assert SECRET_MARK.decode() not in json.dumps(report)


def test_objects_listing_decodes_and_hides_secrets(tmp_path: Path) -> None:
    path = tmp_path / "snap"
    path.write_bytes(etcd_like(OPS))
    objs = {o["key"]: o for o in k8s.objects(str(path), full=True)}
    web0 = objs["/registry/pods/default/web-0"]
    assert (web0["kind"], web0["name"], web0["namespace"], web0["version"]) == (
        "Pod",
        "web-0",
        "default",
        2,
    )
    cert = objs["/registry/cert-manager.io/certificates/default/c1"]
    assert cert["object"]["kind"] == "Certificate" and cert["labels"] == {"team": "a"}
    assert "/registry/pods/default/gone" not in objs
    assert objs["/registry/secrets/prod/e2"]["encryption"] == "aesgcm"
    assert SECRET_MARK.decode() not in json.dumps(list(objs.values()))


def test_diff_counts(tmp_path: Path) -> None:
    a_path, b_path = tmp_path / "a", tmp_path / "b"
    a_path.write_bytes(etcd_like(OPS))
    later = [
        *OPS,
        ("put", b"/registry/pods/default/new", k8s_object("v1", "Pod", "new", "default")),
        ("del", b"/registry/pods/kube-system/dns", b""),
        (
            "put",
            b"/registry/pods/default/web-1",
            k8s_object("v1", "Pod", "web-1", "default", payload=b"x"),
        ),
        ("put", b"/registry/secrets/default/e1", b"k8s:enc:aescbc:v1:key2:" + SECRET_MARK),
    ]
    b_path.write_bytes(etcd_like(later))
    from etcdtui.services.snapshots.diff import diff

    report = diff(str(a_path), str(b_path))
    assert report["summary"] == {"added": 1, "removed": 1, "changed": 2, "unchanged": 12}
    assert report["by_resource"]["pods"]["namespaces"] == {
        "default": {"added": 1, "removed": 0, "changed": 1},
        "kube-system": {"added": 0, "removed": 1, "changed": 0},
    }
    assert report["keys"]["changed"] == [
        "/registry/pods/default/web-1",
        "/registry/secrets/default/e1",
    ]
    assert (report["a"]["revision"], report["b"]["revision"]) == (len(OPS) + 1, len(later) + 1)
    assert SECRET_MARK.decode() not in json.dumps(report)


def test_diff_hook_takes_any_entry_stream(tmp_path: Path) -> None:
    path = tmp_path / "a"
    path.write_bytes(etcd_like(OPS))
    with BoltDB.open(str(path)) as db:
        snap = list(snapshot_entries(db))
        assert len(snap) == len(index_keyspace(db).latest)
    live = [e for e in snap if e[0] != b"/unrelated"]
    live.append((b"/registry/configmaps/x/y", 1, value_hash(b"v")))
    out = diff_entries(iter(snap), iter(live), limit=1)
    assert out["summary"]["added"] == 1 and out["summary"]["removed"] == 1
    assert out["by_resource"]["(other)"]["removed"] == 1
    assert out["keys"]["added"] == ["/registry/configmaps/x/y"]


def test_sorted_diff_equals_the_any_order_diff(tmp_path: Path) -> None:
    from etcdtui.services.snapshots.diff import diff_sorted

    path = tmp_path / "a"
    path.write_bytes(etcd_like(OPS))
    with BoltDB.open(str(path)) as db:
        snap = list(snapshot_entries(db))
    live = [e for e in snap if e[0] != b"/unrelated"]
    live.append((b"/registry/configmaps/x/y", 1, value_hash(b"v")))
    live = [(k, r + 1, h) if k.endswith(b"web-1") else (k, r, h) for k, r, h in live]
    live.sort()
    for limit in (0, 1, 1000):
        assert diff_sorted(iter(snap), iter(live), limit=limit) == diff_entries(
            iter(snap), iter(live), limit=limit
        )
    with pytest.raises(ValueError):
        diff_sorted(iter(snap), iter(reversed(live)))
