"""Kubernetes values and etcd-like keyspaces built by the tests (moved from
tests/unit/test_k8s_decode.py): a small protobuf *encoder* for Kubernetes envelopes and a
bbolt file laid out like etcd's."""

from __future__ import annotations

import json

from etcdtui.services.etcdapi import kv_pb2
from tests.support.bolt_builder import build_db, with_trailer

# --- a tiny protobuf encoder --------------------------------------------------------------


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def fbytes(number: int, data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return varint(number << 3 | 2) + varint(len(raw)) + raw


def fint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def k8s_object(
    api_version: str,
    kind: str,
    name: str,
    namespace: str = "",
    *,
    created: int = 1700000000,
    labels: dict[str, str] | None = None,
    payload: bytes = b"",
) -> bytes:
    """``k8s\\x00`` + runtime.Unknown{typeMeta, raw = object{metadata, field 2}}."""
    meta = fbytes(1, name) + (fbytes(3, namespace) if namespace else b"")
    meta += fbytes(5, f"uid-{name}") + fbytes(8, fint(1, created) + fint(2, 500_000_000))
    for k, v in (labels or {}).items():
        meta += fbytes(11, fbytes(1, k) + fbytes(2, v))
    obj = fbytes(1, meta) + (fbytes(2, payload) if payload else b"")
    unknown = fbytes(1, fbytes(1, api_version) + fbytes(2, kind)) + fbytes(2, obj)
    return b"k8s\x00" + unknown


def json_object(api_version: str, kind: str, name: str, namespace: str, **extra: object) -> bytes:
    return json.dumps(
        {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace, "labels": {"team": "a"}},
            **extra,
        }
    ).encode()


# --- an etcd-like keyspace ----------------------------------------------------------------


def rev_key(main: int, sub: int = 0, tomb: bool = False) -> bytes:
    return main.to_bytes(8, "big") + b"_" + sub.to_bytes(8, "big") + (b"t" if tomb else b"")


def etcd_like(ops: list[tuple[str, bytes, bytes]], *, leases: int = 0) -> bytes:
    """A bbolt file laid out like etcd's after applying ``ops`` (put/del), one revision each."""
    key_bucket: dict[bytes, bytes] = {}
    state: dict[bytes, tuple[int, int]] = {}  # key -> (create, version)
    for i, (op, key, value) in enumerate(ops, start=2):
        if op == "put":
            create, version = state.get(key, (i, 0))
            state[key] = (create, version + 1)
            kv = kv_pb2.KeyValue(
                key=key, value=value, create_revision=create, mod_revision=i, version=version + 1
            )
            key_bucket[rev_key(i)] = kv.SerializeToString()
        else:
            state.pop(key, None)
            key_bucket[rev_key(i, tomb=True)] = kv_pb2.KeyValue(
                key=key, mod_revision=i
            ).SerializeToString()
    tree = {
        b"key": key_bucket,
        b"lease": {(1000 + n).to_bytes(8, "big"): b"\x08\x01" for n in range(leases)},
        b"meta": {b"consistent_index": (99).to_bytes(8, "big")},
        b"cluster": {b"clusterVersion": b"3.5.0"},
        b"members": {
            b"abc": json.dumps({"id": 0xABC, "name": "m1", "peerURLs": ["https://x:2380"]}).encode()
        },
    }
    return with_trailer(build_db(tree, leaf_cap=16))  # type: ignore[arg-type]


SECRET_MARK = b"TOPSECRET-VALUE"

OPS: list[tuple[str, bytes, bytes]] = [
    (
        "put",
        b"/registry/pods/default/web-0",
        k8s_object("v1", "Pod", "web-0", "default", labels={"app": "web"}),
    ),
    ("put", b"/registry/pods/default/web-1", k8s_object("v1", "Pod", "web-1", "default")),
    ("put", b"/registry/pods/kube-system/dns", k8s_object("v1", "Pod", "dns", "kube-system")),
    ("put", b"/registry/pods/default/gone", k8s_object("v1", "Pod", "gone", "default")),
    ("del", b"/registry/pods/default/gone", b""),
    (
        "put",
        b"/registry/pods/default/web-0",
        k8s_object("v1", "Pod", "web-0", "default", payload=b"v2"),
    ),
    ("put", b"/registry/minions/node-1", k8s_object("v1", "Node", "node-1")),
    (
        "put",
        b"/registry/secrets/default/p1",
        k8s_object("v1", "Secret", "p1", "default", payload=SECRET_MARK),
    ),
    ("put", b"/registry/secrets/default/j1", b'{"kind":"Secret","data":"' + SECRET_MARK + b'"}'),
    ("put", b"/registry/secrets/default/e1", b"k8s:enc:aescbc:v1:key1:" + SECRET_MARK),
    ("put", b"/registry/secrets/prod/e2", b"k8s:enc:aesgcm:v1:key1:" + SECRET_MARK),
    ("put", b"/registry/secrets/prod/e3", b"k8s:enc:secretbox:v1:key1:" + SECRET_MARK),
    ("put", b"/registry/secrets/prod/e4", b"k8s:enc:kms:v1:prov:" + SECRET_MARK),
    ("put", b"/registry/secrets/prod/e5", b"k8s:enc:kms:v2:prov:" + SECRET_MARK),
    ("put", b"/registry/secrets/prod/odd", b"\x00garbage" + SECRET_MARK),
    (
        "put",
        b"/registry/cert-manager.io/certificates/default/c1",
        json_object("cert-manager.io/v1", "Certificate", "c1", "default"),
    ),
    (
        "put",
        b"/registry/apiregistration.k8s.io/apiservices/v1.apps",
        json_object("apiregistration.k8s.io/v1", "APIService", "v1.apps", ""),
    ),
    ("put", b"/unrelated", b"x" * 5000),
]
