"""A small Kubernetes-like keyspace, written the way kube-apiserver writes it.

Objects are protobuf-encoded ``runtime.Unknown`` envelopes behind the ``k8s\\x00``
magic, at kube-apiserver's default storage paths (``/registry/<resource>/<ns>/<name>``;
namespaces are cluster-scoped: ``/registry/namespaces/<name>``). Field numbers follow
k8s.io/apimachinery runtime/generated.proto (Unknown: typeMeta 1, raw 2,
contentEncoding 3, contentType 4), meta/v1 (ObjectMeta: name 1, namespace 3, uid 5,
resourceVersion 6, creationTimestamp 8, labels 11) and core/v1 (Pod: metadata 1,
spec 2; PodSpec: containers 2; Container: name 1, image 2; ConfigMap: metadata 1,
data 2; Secret: metadata 1, data 2, type 3; Namespace: metadata 1).

The content is deterministic, so a drill can record what it wrote as a manifest of
key -> sha256 and later prove that nothing was lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

MAGIC = b"k8s\x00"
NAMESPACES = ("default", "kube-system", "shop")
EPOCH = 1_764_547_200  # 2025-12-01T00:00:00Z, a fixed creation time


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _int_field(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def text_field(number: int, value: str) -> bytes:
    return field(number, value.encode())


def _map_entries(number: int, items: Iterable[tuple[str, bytes]]) -> bytes:
    return b"".join(field(number, text_field(1, k) + field(2, v)) for k, v in items)


def object_meta(name: str, namespace: str, labels: dict[str, str]) -> bytes:
    uid = hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest()
    uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}"
    out = text_field(1, name)
    if namespace:
        out += text_field(3, namespace)
    out += text_field(5, uid) + field(8, _int_field(1, EPOCH))
    out += _map_entries(11, ((k, v.encode()) for k, v in sorted(labels.items())))
    return out


def envelope(api_version: str, kind: str, obj: bytes) -> bytes:
    type_meta = text_field(1, api_version) + text_field(2, kind)
    return MAGIC + field(1, type_meta) + field(2, obj)


def namespace(name: str) -> tuple[str, bytes]:
    meta = object_meta(name, "", {"kubernetes.io/metadata.name": name})
    return f"/registry/namespaces/{name}", envelope("v1", "Namespace", field(1, meta))


def pod(ns: str, name: str, image: str) -> tuple[str, bytes]:
    meta = object_meta(name, ns, {"app": name.rsplit("-", 1)[0]})
    spec = field(2, text_field(1, "main") + text_field(2, image))
    return f"/registry/pods/{ns}/{name}", envelope("v1", "Pod", field(1, meta) + field(2, spec))


def configmap(ns: str, name: str, data: dict[str, str]) -> tuple[str, bytes]:
    meta = object_meta(name, ns, {})
    body = field(1, meta) + _map_entries(2, ((k, v.encode()) for k, v in sorted(data.items())))
    return f"/registry/configmaps/{ns}/{name}", envelope("v1", "ConfigMap", body)


def secret(ns: str, name: str, data: dict[str, bytes], kind: str = "Opaque") -> tuple[str, bytes]:
    meta = object_meta(name, ns, {})
    body = field(1, meta) + _map_entries(2, sorted(data.items())) + text_field(3, kind)
    return f"/registry/secrets/{ns}/{name}", envelope("v1", "Secret", body)


def objects(generation: str = "base", size: int = 1) -> list[tuple[str, bytes]]:
    """The keyspace of one drill: namespaces, pods, configmaps and Secrets.

    ``generation`` varies names and content, so a drill can write a second, different
    set after a snapshot (what a restore rolls back). ``size`` multiplies the number
    of pods (used to fill a quota)."""
    out = [namespace(ns) for ns in NAMESPACES] if generation == "base" else []
    for ns in NAMESPACES:
        for i in range(4 * size):
            out.append(pod(ns, f"{generation}-web-{i}", f"registry.local/web:{generation}-{i}"))
        for i in range(3):
            out.append(configmap(ns, f"{generation}-config-{i}", {"setting": f"{ns}-{i}"}))
        for i in range(2):
            token = hashlib.sha256(f"{generation}/{ns}/{i}".encode()).hexdigest().encode()
            out.append(secret(ns, f"{generation}-creds-{i}", {"token": token}))
    return out


def manifest(items: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """key -> sha256 of the value: what must be readable afterwards."""
    return {k: hashlib.sha256(v).hexdigest() for k, v in items}
